// Package accountability holds what a node owes the people in its records
// and its overseers beyond the audit log itself (issue 8): the retention
// scheduler that erases expired records by destroying their data keys and
// deleting their rows, erasure propagated to partners, the rights of the
// person (access report, rectification, erasure, contest and supervisor
// review, protection marking) and oversight reports counted from the log.
//
// Every operation runs in one store transaction with its audit entry, so an
// action and its record commit together; notifications to partners are
// sent after the commit and their receipts are returned to the caller.
// Time always comes from an injected clock (Clock), so that retention can be
// tested without waiting years.
package accountability

import (
	"context"
	"time"

	"github.com/bixproject/bix/internal/exchange"
	"github.com/bixproject/bix/internal/node"
)

// Clock returns the current time; tests inject a fixed or advancing one.
type Clock func() time.Time

// Notifier sends a notification about a local person to every partner that
// received their data (NotifyPartners), or, once an erasure removed the
// person's references with exchange.ErasePerson, to the partners of the
// references it returned (NotifyReferences); *exchange.Exchange implements
// it.
type Notifier interface {
	NotifyPartners(ctx context.Context, a node.Actor, personID, kind string, fields map[string]string) ([]*exchange.Outcome, error)
	NotifyReferences(ctx context.Context, a node.Actor, refs []exchange.PartnerRef, kind string, fields map[string]string) ([]*exchange.Outcome, error)
}

// GalleryRemover drops a person's templates from the in-memory gallery;
// *gallery.Gallery implements it.
type GalleryRemover interface {
	Remove(personID string) bool
}
