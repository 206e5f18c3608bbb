package inspect

import (
	"strconv"
	"time"
)

// DeliveryState is where one owed delivery stands.
type DeliveryState string

const (
	// Pending: not delivered yet; NextAt says when it is tried again.
	Pending DeliveryState = "pending"
	// Delivered: the target answered 2xx.
	Delivered DeliveryState = "delivered"
	// Undelivered: every attempt the retry rule allows failed; given up.
	Undelivered DeliveryState = "undelivered"
)

// Sink kinds an outbox row can be owed to.
const (
	SinkForward = "forward" // a handler URL, under --ack or a fan-out copy
	SinkPublish = "publish" // the team relay
)

// Owed is one delivery a record is owed, written to the outbox in the same
// transaction as the record.
type Owed struct {
	Sink   string
	Target string
}

// Delivery is one outbox row: a delivery a record is owed, and how it went.
type Delivery struct {
	ID         int64
	RequestID  string
	Sink       string
	Target     string
	State      DeliveryState
	Tries      int
	NextAt     time.Time // when Pending: the next try
	LastStatus int       // the last try's answer (0: none)
	LastError  string
	DoneAt     time.Time // when Delivered or Undelivered
}

// DeliverySummary says where a delivery stands in the words every front
// end uses: "pending, try 2 of 4 in 40s (last: 503)", "delivered (200)",
// "undelivered after 4 tries (last: …)".
func DeliverySummary(d *Delivery, now time.Time) string {
	last := ""
	switch {
	case d.LastError != "":
		last = " (last: " + d.LastError + ")"
	case d.LastStatus != 0:
		last = " (last: " + itoa(d.LastStatus) + ")"
	}
	switch d.State {
	case Delivered:
		return "delivered (" + itoa(d.LastStatus) + ") after " + tries(d.Tries)
	case Undelivered:
		return "undelivered: gave up after " + tries(d.Tries) + last
	}
	wait := d.NextAt.Sub(now).Round(time.Second)
	when := "now"
	if wait > 0 {
		when = "in " + wait.String()
	}
	if d.Tries == 0 {
		return "pending, first try " + when
	}
	return "pending, next try " + when + ", " + tries(d.Tries) + " so far" + last
}

func tries(n int) string {
	if n == 1 {
		return "1 try"
	}
	return itoa(n) + " tries"
}

func itoa(n int) string { return strconv.Itoa(n) }
