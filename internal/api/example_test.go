package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/bixproject/bix/internal/api"
	"github.com/bixproject/bix/internal/node"
	"github.com/bixproject/bix/internal/store"
)

// A node started in-process on a loopback port with a temporary data
// directory, as bix demo and the exchange tests do.
func ExampleServer_Serve() {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	dir, _ := os.MkdirTemp("", "bix-node-")
	defer os.RemoveAll(dir)
	kek, _ := store.ParseKEK(store.GenerateKeyText())
	n, err := node.Open(ctx, node.Config{DataDir: dir, NodeID: "nl.example", Country: "NLD", KEK: kek}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()
	admin, _ := n.Bootstrap(ctx) // the first admin's bearer token
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	go api.NewServer(n, slog.Default()).Serve(ctx, ln)

	c := &api.Client{BaseURL: "http://" + ln.Addr().String(), Token: admin}
	u, err := c.AddUser(ctx, "olga", "officer")
	fmt.Println(u.Role, err)
	// Output: officer <nil>
}
