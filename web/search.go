package web

import (
	"context"

	"github.com/apartado/apartado/i18n"
)

// SearchTotal says how many results a search has: total, or more than
// total when more.
func SearchTotal(ctx context.Context, total int64, more bool) string {
	if more {
		return i18n.T(ctx, "More than %s results", i18n.FromContext(ctx).Number(total))
	}
	return i18n.T(ctx, "%d results", total)
}

// SearchAll labels the choice of acting on every result of a search.
func SearchAll(ctx context.Context, total int64, more bool) string {
	if more {
		return i18n.T(ctx, "Act on every result of this search (more than %s), not only the ones selected", i18n.FromContext(ctx).Number(total))
	}
	return i18n.T(ctx, "Act on every result of this search (%d), not only the ones selected", total)
}
