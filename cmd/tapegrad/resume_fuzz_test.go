package main

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tapegrad/tapegrad/nn"
)

// FuzzParseResume checks that the resume metadata of a checkpoint never
// panic the check, and that whatever it accepts describes a run that
// could have written it: counts not negative, one history record per
// epoch done, numbered from 1, with steps rising to the step count.
func FuzzParseResume(f *testing.F) {
	f.Add("2", "24", "24", "1536", `[{"epoch":1,"step":12},{"epoch":2,"step":24}]`)
	f.Add("0", "0", "0", "0", `[]`)
	f.Add("-7", "24", "24", "0", `[]`)
	f.Add("1", "12", "11", "0", `[{"epoch":1,"step":12}]`)
	f.Add("1", "12", "12", "-1", `[{"epoch":1,"step":12}]`)
	f.Add("2", "24", "24", "0", `[{"epoch":2,"step":12},{"epoch":1,"step":24}]`)
	f.Add("1", "12", "12", "0", `{"epoch":1}`)
	f.Add("99999999999999999999", "1", "1", "0", `null`)
	f.Fuzz(func(t *testing.T, epoch, step, optimSteps, dropout, history string) {
		meta := map[string]string{metaEpoch: epoch, metaStep: step, nn.MetaOptimSteps: optimSteps,
			metaDropout: dropout, metaHistory: history}
		st, err := parseResume(meta)
		if err != nil {
			return
		}
		require.GreaterOrEqual(t, st.epoch, 0)
		require.LessOrEqual(t, st.epoch, maxEpochs)
		require.GreaterOrEqual(t, st.step, 0)
		require.Len(t, st.history, st.epoch)
		prev := 0
		for i, h := range st.history {
			require.Equal(t, i+1, h.Epoch)
			require.Greater(t, h.Step, prev)
			prev = h.Step
		}
		if st.epoch > 0 {
			require.Equal(t, st.step, prev)
		}
	})
}
