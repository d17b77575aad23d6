package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"os"
	"path"
	"path/filepath"

	"hazardbot/models"
)

// Files keeps photos and generated files (weekly ledgers) by a relative,
// slash-separated name. DirFiles serves one process or replicas sharing a
// mount; DBFiles serves replicas that share only the database.
type Files interface {
	Put(ctx context.Context, name, contentType string, r io.Reader) (size int64, err error)
	// Open returns the file and its content type; a missing file is a
	// not_found *models.Error.
	Open(ctx context.Context, name string) (io.ReadCloser, string, error)
}

// maxFile bounds one stored file (WeCom media are at most 20 MB).
const maxFile = 32 << 20

func checkName(name string) error {
	if name == "" || !filepath.IsLocal(filepath.FromSlash(name)) {
		return fmt.Errorf("bot: file name %q is not a path inside the storage", name)
	}
	return nil
}

// DirFiles keeps files under a directory.
type DirFiles struct{ Dir string }

// Put writes r to name through a temporary file renamed into place, so a
// reader never sees half a file.
func (d DirFiles) Put(ctx context.Context, name, contentType string, r io.Reader) (int64, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	full := filepath.Join(d.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(full), ".part-*")
	if err != nil {
		return 0, err
	}
	defer os.Remove(tmp.Name())
	n, err := io.Copy(tmp, io.LimitReader(r, maxFile+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > maxFile {
		err = fmt.Errorf("bot: file %s is over %d MB", name, maxFile>>20)
	}
	if err != nil {
		return 0, err
	}
	return n, os.Rename(tmp.Name(), full)
}

// Open opens name, refusing any path (or link) that leaves the directory.
func (d DirFiles) Open(ctx context.Context, name string) (io.ReadCloser, string, error) {
	if err := checkName(name); err != nil {
		return nil, "", models.Errorf(models.ENotFound, "文件 %s 不存在", name)
	}
	f, err := os.OpenInRoot(d.Dir, filepath.FromSlash(name))
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrInvalid) {
		return nil, "", models.Errorf(models.ENotFound, "文件 %s 不存在", name)
	}
	if err != nil {
		return nil, "", fmt.Errorf("bot: open %s: %w", name, err)
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		return nil, "", models.Errorf(models.ENotFound, "文件 %s 不存在", name)
	}
	return f, mime.TypeByExtension(path.Ext(name)), nil
}

// DBFiles keeps files in the database (table files), for replicas that
// share no directory. Puts run on their own connection, so it needs a
// database with more than one (MySQL), not SQLite's single writer.
type DBFiles struct{ Store *models.Store }

// Put stores r under name.
func (d DBFiles) Put(ctx context.Context, name, contentType string, r io.Reader) (int64, error) {
	if err := checkName(name); err != nil {
		return 0, err
	}
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		return 0, err
	}
	if len(data) > maxFile {
		return 0, fmt.Errorf("bot: file %s is over %d MB", name, maxFile>>20)
	}
	if contentType == "" {
		contentType = mime.TypeByExtension(path.Ext(name))
	}
	return int64(len(data)), d.Store.PutFile(ctx, name, contentType, data)
}

// Open returns the file stored under name.
func (d DBFiles) Open(ctx context.Context, name string) (io.ReadCloser, string, error) {
	data, ctype, err := d.Store.OpenFile(ctx, name)
	if err != nil {
		return nil, "", err
	}
	return io.NopCloser(bytes.NewReader(data)), ctype, nil
}

// FileMissing reports whether err from Files.Open says there is no such
// file (as opposed to a storage that did not answer).
func FileMissing(err error) bool { return models.ErrorCode(err) == models.ENotFound }
