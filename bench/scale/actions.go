package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// bulkSize is how many messages the timed bulk action moves.
const bulkSize = 1000

// folder makes the folder "Bench" through the folders page and moves
// bulkSize messages from the middle of the inbox into it (untimed), so
// that a folder's list has mail to show and the bulk action has messages
// to move. It returns the folder's id, the inbox's and the messages'.
func (b *bench) folder(ctx context.Context, c *http.Client, s *server) (folder, inbox int64, ids []string, err error) {
	if err := post(ctx, c, s.base+"/mail/folders", url.Values{"name": {"Bench"}}); err != nil {
		return 0, 0, nil, fmt.Errorf("creating a folder: %w", err)
	}
	conn, err := sql.Open("sqlite", "file:"+b.dbPath+"?mode=ro")
	if err != nil {
		return 0, 0, nil, err
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, `SELECT b.id FROM mailboxes b JOIN users u ON u.id = b.user_id
		WHERE u.name = ? AND b.name = 'Bench'`, benchUser).Scan(&folder); err != nil {
		return 0, 0, nil, fmt.Errorf("the new folder: %w", err)
	}
	if err := conn.QueryRowContext(ctx, `SELECT b.id FROM mailboxes b JOIN users u ON u.id = b.user_id
		WHERE u.name = ? AND b.role = 'inbox'`, benchUser).Scan(&inbox); err != nil {
		return 0, 0, nil, fmt.Errorf("inbox: %w", err)
	}
	n := min(bulkSize, b.cfg.n/2)
	rows, err := conn.QueryContext(ctx, `SELECT id FROM messages WHERE mailbox_id = ?
		ORDER BY sort_at DESC, id DESC LIMIT ? OFFSET ?`, inbox, n, b.cfg.n/4)
	if err != nil {
		return 0, 0, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return 0, 0, nil, err
		}
		ids = append(ids, strconv.FormatInt(id, 10))
	}
	if err := rows.Err(); err != nil {
		return 0, 0, nil, err
	}
	if err := post(ctx, c, s.base+"/mail/actions", moveForm(ids, folder)); err != nil {
		return 0, 0, nil, fmt.Errorf("moving %d messages into the folder: %w", len(ids), err)
	}
	return folder, inbox, ids, nil
}

// moveForm is the list's form that moves the messages ids to mailbox to.
func moveForm(ids []string, to int64) url.Values {
	return url.Values{"action": {"move"}, "to": {strconv.FormatInt(to, 10)}, "ids": ids, "return": {"/mail"}}
}

// post sends a form as the pages do and fails on anything but the
// redirect that follows a done action.
func post(ctx context.Context, c *http.Client, u string, form url.Values) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return fmt.Errorf("POST %s: %s", u, resp.Status)
	}
	return nil
}

// timeBulk times the bulk action: the folder's messages moved to the
// inbox and back, each request bulkSize messages (each with its Undo
// kept, as in use), alternating rounds with the inbox page's static twin
// as the baseline.
func timeBulk(ctx context.Context, c *http.Client, s *server, inboxTwin string, ids []string, folder, inbox int64, n, conc int) (timing, error) {
	const rounds = 4
	var flip atomic.Int64
	bulk := func(k int) ([]time.Duration, error) {
		out := make([]time.Duration, k)
		var next atomic.Int64
		var wg sync.WaitGroup
		errs := make(chan error, conc)
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= k || ctx.Err() != nil {
						return
					}
					to := folder
					if flip.Add(1)%2 == 1 {
						to = inbox
					}
					t0 := time.Now()
					if err := post(ctx, c, s.base+"/mail/actions", moveForm(ids, to)); err != nil {
						errs <- err
						return
					}
					out[i] = time.Since(t0)
				}
			}()
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return nil, err
		}
		return out, ctx.Err()
	}
	var dyn, stat []time.Duration
	for r := range rounds {
		k := n / rounds
		if r == rounds-1 {
			k = n - k*(rounds-1)
		}
		if k == 0 {
			continue
		}
		d, err := bulk(k)
		if err != nil {
			return timing{}, fmt.Errorf("bulk action: %w", err)
		}
		st, err := latencies(ctx, c, inboxTwin, k, conc)
		if err != nil {
			return timing{}, fmt.Errorf("bulk action, static: %w", err)
		}
		dyn, stat = append(dyn, d...), append(stat, st...)
	}
	return newTiming(dyn, stat), nil
}
