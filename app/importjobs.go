package app

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"
	"time"
)

// ImportJobs runs imports of uploaded files in the background, one at a
// time per user, and keeps each user's last one for its page to show. A
// job lives in memory: a server stopped during an import leaves the mail
// stored so far, and the same file uploaded again resumes it (what is
// stored already is not stored again).
type ImportJobs struct {
	imports *Imports
	log     *slog.Logger
	mu      sync.Mutex
	jobs    map[int64]*ImportJob
	wg      sync.WaitGroup
}

// ImportJob is an import of one uploaded file.
type ImportJob struct {
	AccountID int64
	Name      string // the file's name, as uploaded
	Started   time.Time
	Progress  ImportProgress
	Done      bool
	Err       error
}

// ErrImportRunning: the user's last import is still running.
var ErrImportRunning = errors.New("an import is running already")

// NewImportJobs returns the background imports.
func NewImportJobs(imports *Imports, log *slog.Logger) *ImportJobs {
	return &ImportJobs{imports: imports, log: log, jobs: map[int64]*ImportJob{}}
}

// Start imports the file at path (of format, uploaded as name) into the
// user's account in the background, and removes the file when done.
// ErrImportRunning when the user's last import is not done; then the file
// is removed at once.
func (j *ImportJobs) Start(userID, accountID int64, format, path, name string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if last, ok := j.jobs[userID]; ok && !last.Done {
		os.Remove(path)
		return ErrImportRunning
	}
	job := &ImportJob{AccountID: accountID, Name: name, Started: j.imports.Now()}
	j.jobs[userID] = job
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		defer os.Remove(path)
		res, err := j.imports.FromFile(context.Background(), userID, accountID, format, path, func(p ImportProgress) {
			j.mu.Lock()
			job.Progress = p
			j.mu.Unlock()
		})
		if err != nil {
			j.log.Info("import failed", "user", userID, "account", accountID, "err", err)
		} else {
			j.log.Info("import done", "user", userID, "account", accountID, "stored", res.Stored, "duplicates", res.Duplicates)
		}
		j.mu.Lock()
		job.Progress, job.Err, job.Done = res, err, true
		j.mu.Unlock()
	}()
	return nil
}

// Last returns a copy of the user's last import, if any.
func (j *ImportJobs) Last(userID int64) (ImportJob, bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	job, ok := j.jobs[userID]
	if !ok {
		return ImportJob{}, false
	}
	out := *job
	out.Progress.Skipped = append([]string(nil), job.Progress.Skipped...)
	out.Progress.Folders = append([]string(nil), job.Progress.Folders...)
	return out, true
}

// Wait waits for the running imports to end (tests).
func (j *ImportJobs) Wait() { j.wg.Wait() }
