package nn_test

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn"
	"github.com/tapegrad/tapegrad/tensor"
)

// TestCheckpointThroughWriterAndReader round-trips a trained model and
// its Adam state through memory: the restored run continues exactly as
// the original, the bytes equal what SaveCheckpoint writes, and a
// truncated stream is refused without touching the model.
func TestCheckpointThroughWriterAndReader(t *testing.T) {
	seed := testSeed(t)
	xs, ys := batches(seed, 4)
	dropA := tensor.NewRNG(seed + 1)
	a := smallNet(seed, 3, dropA)
	optA := nn.NewAdam(a.Parameters(), nn.AdamDefaults(1e-2))
	trainSteps(a, optA, xs[:2], ys[:2])

	var buf bytes.Buffer
	require.NoError(t, nn.WriteCheckpoint(&buf, a, optA, map[string]string{"epoch": "1"}))
	path := t.TempDir() + "/c.safetensors"
	require.NoError(t, nn.SaveCheckpoint(path, a, optA, map[string]string{"epoch": "1"}))
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, onDisk, buf.Bytes(), "WriteCheckpoint and SaveCheckpoint write the same bytes")

	dropB := tensor.NewRNG(seed + 1) // the dropout stream resumes where a's is (a loop saves it in meta)
	dropB.SetOffset(dropA.Offset())
	b := smallNet(seed+9, 3, dropB)
	optB := nn.NewAdam(b.Parameters(), nn.AdamDefaults(1e-2))
	before := snapshot(b)
	_, err = nn.ReadCheckpoint(bytes.NewReader(buf.Bytes()[:buf.Len()-3]), "truncated", b, optB)
	require.ErrorContains(t, err, "truncated")
	require.Equal(t, before, snapshot(b), "a failed read changed the model")

	meta, err := nn.ReadCheckpoint(bytes.NewReader(buf.Bytes()), "memory", b, optB)
	require.NoError(t, err)
	require.Equal(t, "1", meta["epoch"])
	require.Equal(t, snapshot(a), snapshot(b))
	require.Equal(t, trainSteps(a, optA, xs[2:], ys[2:]), trainSteps(b, optB, xs[2:], ys[2:]))
}
