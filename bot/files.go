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
	"time"

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
	// Delete removes name; a file that is not there is no error.
	Delete(ctx context.Context, name string) error
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

// Delete removes name, refusing any path (or link) that leaves the
// directory; a file that is not there is no error.
func (d DirFiles) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	root, err := os.OpenRoot(d.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // no directory, no file
	}
	if err != nil {
		return fmt.Errorf("bot: delete %s: %w", name, err)
	}
	defer root.Close()
	err = root.Remove(filepath.FromSlash(name))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("bot: delete %s: %w", name, err)
	}
	return nil
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

// Delete removes the file stored under name; a missing one is no error.
func (d DBFiles) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	return d.Store.DeleteFile(ctx, name)
}

// FileMissing reports whether err from Files.Open says there is no such
// file (as opposed to a storage that did not answer).
func FileMissing(err error) bool { return models.ErrorCode(err) == models.ENotFound }

// deleteFiles deletes stored files whose rows are gone (recorded by the
// transaction that dropped them, see models.PendingFileDeletions) and
// forgets each one deleted. A delete that fails stays recorded and is tried
// again by the housekeeping (SweepFileDeletions); a name a row points at
// again is forgotten, not deleted. Without a file store nothing is deleted
// and everything stays recorded.
func (b *Bot) deleteFiles(ctx context.Context, names []string) (deleted int, err error) {
	return b.deleteFilesIn(ctx, b.files, names)
}

// deleteFilesIn is deleteFiles on the given file store.
func (b *Bot) deleteFilesIn(ctx context.Context, files Files, names []string) (deleted int, err error) {
	if files == nil {
		return 0, nil
	}
	for _, name := range names {
		inUse, err := b.store.FileInUse(ctx, name)
		if err != nil {
			return deleted, err
		}
		if !inUse {
			if derr := files.Delete(ctx, name); derr != nil {
				b.log.Warn("stored file not deleted; tried again later", "file", name, "err", derr)
				if err := b.store.FileDeleteFailed(ctx, name, derr.Error()); err != nil {
					return deleted, err
				}
				continue
			}
			deleted++
		}
		if err := b.store.FileDeleted(ctx, name); err != nil {
			return deleted, err
		}
	}
	return deleted, nil
}

// deleteAfterCommit deletes names once tx has committed (a rolled-back
// drop deletes nothing; its rows still point at the files).
func (b *Bot) deleteAfterCommit(tx *models.Tx, names []string) {
	if len(names) == 0 {
		return
	}
	tx.AfterCommit(func() {
		if _, err := b.deleteFiles(context.Background(), names); err != nil {
			b.log.Warn("stored files not deleted; tried again later", "err", err)
		}
	})
}

// fileDeletionBatch is how many recorded files one sweep deletes at most.
const fileDeletionBatch = 500

// SweepFileDeletions deletes the stored files recorded for deletion that
// are still there: those whose delete after the commit failed, or never
// ran (the process died first). It runs with the housekeeping.
func (b *Bot) SweepFileDeletions(ctx context.Context) (int, error) {
	// Recorded a minute ago or more: a newer one is likely being deleted
	// after its commit right now.
	names, err := b.store.PendingFileDeletions(ctx, b.now().Add(-time.Minute), fileDeletionBatch)
	if err != nil {
		return 0, err
	}
	return b.deleteFiles(ctx, names)
}
