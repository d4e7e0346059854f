package nn_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn"
)

// FuzzParseTrainState checks that a checkpoint's resume metadata never
// panic the check, and that whatever it accepts describes a run that
// could have written it: counts not negative, one history record per
// epoch done, numbered from 1, with steps rising, and the batches of an
// unfinished epoch making up the step count.
func FuzzParseTrainState(f *testing.F) {
	f.Add("2", "24", "24", "1536", `[{"epoch":1,"step":12},{"epoch":2,"step":24}]`, "", "")
	f.Add("0", "0", "0", "0", `[]`, "", "")
	f.Add("-7", "24", "24", "0", `[]`, "", "")
	f.Add("1", "12", "11", "0", `[{"epoch":1,"step":12}]`, "", "")
	f.Add("1", "12", "12", "-1", `[{"epoch":1,"step":12}]`, "", "")
	f.Add("2", "24", "24", "0", `[{"epoch":2,"step":12},{"epoch":1,"step":24}]`, "", "")
	f.Add("1", "12", "12", "0", `{"epoch":1}`, "", "")
	f.Add("99999999999999999999", "1", "1", "0", `null`, "", "")
	f.Add("1", "17", "17", "0", `[{"epoch":1,"step":12}]`, "5", "12.5")
	f.Add("1", "17", "17", "0", `[{"epoch":1,"step":12}]`, "5", "NaN")
	f.Add("1", "17", "17", "0", `[{"epoch":1,"step":12}]`, "4", "1")
	f.Add("0", "3", "3", "0", `[]`, "3", "-2")
	f.Fuzz(func(t *testing.T, epoch, step, optimSteps, dropout, history, batch, partial string) {
		meta := map[string]string{nn.MetaEpoch: epoch, nn.MetaStep: step, nn.MetaOptimSteps: optimSteps,
			nn.MetaRNG("dropout"): dropout, nn.MetaHistory: history}
		if batch != "" {
			meta[nn.MetaBatch], meta[nn.MetaPartialLoss], meta[nn.MetaPartialSamples] = batch, partial, "100"
		}
		st, err := nn.ParseTrainState(meta, []string{"dropout"})
		if err != nil {
			return
		}
		require.GreaterOrEqual(t, st.Epoch, 0)
		require.LessOrEqual(t, st.Epoch, nn.MaxEpochs)
		require.GreaterOrEqual(t, st.Step, 0)
		require.GreaterOrEqual(t, st.Batch, 0)
		require.Len(t, st.History, st.Epoch)
		require.Len(t, st.RNGs, 1)
		prev := 0
		for i, h := range st.History {
			require.Equal(t, i+1, h.Epoch)
			require.Greater(t, h.Step, prev)
			prev = h.Step
		}
		require.Equal(t, st.Step, prev+st.Batch)
	})
}
