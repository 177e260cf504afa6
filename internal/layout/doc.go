// Package layout holds no code: its test enforces which raftinel packages
// each package may import (docs/design.md, "Data flow"). State flows one
// way: the protocol layer and the failover engine read the replicated model
// and this node's observations (model, view) and never import the packages
// that write them (consensus, monitor); node wires them together.
package layout
