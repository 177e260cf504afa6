package model

import "context"

// Client names the client a change is made for: the ACL user it
// authenticated as on the node it reached. It travels with a forwarded
// change so that the leader applies its own ACL too.
type Client struct {
	User string `json:"user"`
}

type clientKey struct{}

// WithClient marks ctx as carrying a change for a client authenticated as
// user; Apply and Call forward it.
func WithClient(ctx context.Context, user string) context.Context {
	return context.WithValue(ctx, clientKey{}, &Client{User: user})
}

func ClientOf(ctx context.Context) *Client {
	c, _ := ctx.Value(clientKey{}).(*Client)
	return c
}
