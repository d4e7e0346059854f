package cuda

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFatbinPerModule checks that every PTX module has its fatbinary for
// the cuda build (make ptx writes both; make ptx-verify checks they are
// current), starting with the fatbin magic.
func TestFatbinPerModule(t *testing.T) {
	ptx, err := filepath.Glob("ptx/*.ptx")
	require.NoError(t, err)
	require.NotEmpty(t, ptx)
	for _, p := range ptx {
		mod := strings.TrimSuffix(filepath.Base(p), ".ptx")
		b, err := os.ReadFile(filepath.Join("fatbin", mod+".fatbin"))
		require.NoError(t, err, "module %s has no fatbinary: run make ptx", mod)
		require.Greater(t, len(b), 16, mod)
		require.Equal(t, uint32(0xBA55ED50), binary.LittleEndian.Uint32(b), "%s.fatbin is not a fatbinary", mod)
	}
}
