package inspect

import "time"

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
