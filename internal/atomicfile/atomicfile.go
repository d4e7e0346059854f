// Package atomicfile replaces files atomically: a reader, or a crash at any
// moment, sees either the old content or the new, never half a file.
//
// Write puts the new content in a temporary file beside the target
// (".NAME.tmp-DIGITS"), syncs it, renames it over the target and syncs the
// directory. A process killed midway leaves such a temporary file behind;
// the next Write of the same target removes it.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// tmpMarker separates a target's name from the random digits of its
// temporary files.
const tmpMarker = ".tmp-"

// Write replaces path with what write produces. write gets a buffered
// writer onto a temporary file in path's directory; when it and every
// later step (flush, chmod, fsync, close, rename, fsync of the directory)
// succeed, path holds the new content. On any error before the rename the
// temporary file is removed and path is left as it was. A new file gets
// mode 0644; a replaced one keeps its permissions. Errors are returned
// as they are, without naming path: callers add their own context.
func Write(path string, write func(io.Writer) error) error {
	mode := os.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return fmt.Errorf("%s is a directory", path)
		}
		mode = fi.Mode().Perm()
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	RemoveLeftovers(path)
	tmp, err := os.CreateTemp(dir, "."+base+tmpMarker+"*")
	if err != nil {
		return err
	}
	if err := fill(tmp, mode, write); err != nil {
		_ = tmp.Close() // may already be closed; the write error is the one to report
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("file is in place, but syncing its directory failed: %w", err)
	}
	return nil
}

// WriteBytes replaces path with b, as Write does.
func WriteBytes(path string, b []byte) error {
	return Write(path, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	})
}

// CheckWritable reports, without touching path itself, whether Write
// could replace path: its directory exists and takes a new file, and path
// is not a directory. It creates and removes one temporary file, so a
// program can find a bad output path before it spends time computing.
func CheckWritable(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+tmpMarker+"*")
	if err != nil {
		return err
	}
	return errors.Join(tmp.Close(), os.Remove(tmp.Name()))
}

// RemoveLeftovers removes the temporary files that an interrupted Write
// of path left in its directory. It is best effort: a file it cannot list
// or remove stays.
func RemoveLeftovers(path string) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + tmpMarker
	for _, e := range entries {
		if rest, ok := strings.CutPrefix(e.Name(), prefix); ok && isDigits(rest) && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name())) // best effort, as documented
		}
	}
}

// isDigits reports whether s is a non-empty run of ASCII digits, the
// random part os.CreateTemp puts in a name.
func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}

// fill runs write into tmp through a buffer, sets the mode, syncs and
// closes it.
func fill(tmp *os.File, mode fs.FileMode, write func(io.Writer) error) error {
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	return tmp.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
