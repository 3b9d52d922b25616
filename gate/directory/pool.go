package directory

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// conn is one bound LDAP connection and the network connection under it,
// whose deadline bounds every operation of a lookup.
type conn struct {
	*ldap.Conn
	raw net.Conn
}

// pool keeps up to size bound connections, lent to one lookup at a time.
// At most size connections exist at once; a lookup past that waits for
// one to come back (or for its context).
type pool struct {
	dial  func(ctx context.Context, deadline time.Time) (*conn, error)
	slots chan struct{}
	idle  chan *conn

	mu     sync.Mutex
	closed bool
}

func newPool(size int, dial func(context.Context, time.Time) (*conn, error)) *pool {
	return &pool{dial: dial, slots: make(chan struct{}, size), idle: make(chan *conn, size)}
}

// get lends a connection whose operations end by deadline: an idle one
// (reused true) or a new one.
func (p *pool) get(ctx context.Context, deadline time.Time) (c *conn, reused bool, err error) {
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	for c := p.takeIdle(); c != nil; c = p.takeIdle() {
		if c.IsClosing() || c.raw.SetDeadline(deadline) != nil {
			_ = c.Close()
			continue
		}
		c.SetTimeout(time.Until(deadline))
		return c, true, nil
	}
	c, err = p.dial(ctx, deadline)
	if err != nil {
		<-p.slots
		return nil, false, err
	}
	return c, false, nil
}

// takeIdle returns an idle connection, or nil when there is none.
func (p *pool) takeIdle() *conn {
	select {
	case c := <-p.idle:
		return c
	default:
		return nil
	}
}

// put takes a lent connection back: kept for the next lookup when it
// served this one without error, closed otherwise.
func (p *pool) put(c *conn, healthy bool) {
	defer func() { <-p.slots }()
	if healthy && !c.IsClosing() && c.raw.SetDeadline(time.Time{}) == nil {
		p.mu.Lock()
		defer p.mu.Unlock()
		if !p.closed {
			select {
			case p.idle <- c:
				return
			default:
			}
		}
	}
	_ = c.Close()
}

// close closes the idle connections; connections lent out are closed as
// they come back.
func (p *pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for {
		select {
		case c := <-p.idle:
			_ = c.Close()
		default:
			return
		}
	}
}
