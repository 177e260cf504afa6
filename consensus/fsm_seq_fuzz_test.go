package consensus

import (
	"testing"

	"github.com/raftinel/raftinel/model"
)

// FuzzFSMSequences is FuzzSnapshotAnywhere over well-formed entries: every
// four input bytes make one typed entry (an op and three small operands
// that pick among 3 masters, 5 addresses, a few epochs, settings and
// failover states), so the fuzzer spends its time on orders of entries
// (failovers started, stepped, ended and aborted in any order, masters
// removed and monitored again mid-failover, resets, seeds) instead of on
// JSON syntax. Run it with
// `go test -run '^$' -fuzz FuzzFSMSequences ./consensus/`.
func FuzzFSMSequences(f *testing.F) {
	// monitor m, two replicas, observations, ODOWN, a whole failover
	f.Add([]byte{3, 0, 0, 1, 2, 7, 0, 0, 2, 7, 0, 0, 3, 5, 0, 0, 1, 5, 0, 1, 1, 6, 0, 1, 2,
		8, 0, 1, 2, 9, 0, 1, 3, 10, 0, 1, 2, 11, 0, 1, 3, 11, 0, 1, 13, 12, 0, 1, 0})
	f.Add([]byte{9, 0, 0, 1, 2, 8, 0, 1, 1, 13, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 2, 17, 0, 0, 0, 4, 0, 0, 0})
	f.Add([]byte{1, 2, 1, 1, 3, 3, 1, 2, 0, 4, 1, 3, 1, 16, 0, 1, 0, 15, 2, 3, 0, 14, 1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 1 {
			return
		}
		var log [][]byte
		for b := data[1:]; len(b) >= 4 && len(log) < 64; b = b[4:] {
			e := seqEntry(b[0], b[1], b[2], b[3], int64(len(log)))
			enc, err := model.Encode(e)
			if err != nil {
				t.Fatal(err)
			}
			log = append(log, enc)
		}
		checkSnapshotAnywhere(t, log, int(data[0])%(len(log)+1))
	})
}

var (
	seqMasters = []string{"m", "n", ""}
	seqNodes   = []string{"a", "b", "c"}
	seqSets    = [][]string{
		{"quorum", "2"}, {"down-after-milliseconds", "1000"}, {"rename-command", "PING", "P"},
		{"auth-pass", "x", "auth-user", "u"}, {"parallel-syncs", "0"}, {"quorum", "abc"},
		{"failover-timeout", "-1"}, {"master-reboot-down-after-period", "500"},
	}
	seqConfig = [][]string{
		{"announce-hostnames", "yes"}, {"resolve-hostnames", "no"}, {"bogus", "1"}, {"announce-ip", ""},
	}
	seqStates = []string{model.StateWaitStart, model.StateSelectSlave, model.StateSendSlaveofNoOne,
		model.StateWaitPromotion, model.StateReconfSlaves, model.StateUpdateConfig}
	seqPhases = []string{model.ReconfSent, model.ReconfInprog, model.ReconfDone, "bogus"}
)

// seqAddr is 127.0.0.1:i, or the zero address for 0.
func seqAddr(i byte) model.Addr {
	if i%5 == 0 {
		return model.Addr{}
	}
	return loopback(int(i % 5))
}

// seqEntry is the entry of one four-byte group: op picks the type; a, b
// and c its operands; at is its position, which stamps its time.
func seqEntry(op, a, b, c byte, at int64) model.Entry {
	h := model.Header{Node: seqNodes[b%3], AtMs: at * 100}
	master := seqMasters[a%3]
	epoch := uint64(b % 4)
	switch op % 18 {
	case 0:
		return &model.Monitor{Header: h, Master: master, Addr: seqAddr(b), Quorum: int(c % 4)}
	case 1:
		return &model.Remove{Header: h, Master: master}
	case 2:
		return &model.Set{Header: h, Master: master, Pairs: seqSets[c%8]}
	case 3:
		p := seqSets[c%8]
		return &model.SetIf{Header: h, Master: master, Pairs: p, Expect: seqSets[(c/8)%8][:len(p)%2+1], Created: uint64(b % 4)}
	case 4:
		return &model.Reset{Header: h, Pattern: []string{"*", "m*", "x"}[c%3]}
	case 5:
		return &model.Observe{Header: h, Master: master, Addr: seqAddr(c / 2), Down: c%2 == 1}
	case 6:
		return &model.ODown{Header: h, Master: master, Down: b%2 == 1, Agreeing: int(c % 4)}
	case 7:
		return &model.AddReplica{Header: h, Master: master, Addr: seqAddr(c)}
	case 8:
		return &model.FailoverStart{Header: h, Master: master, Epoch: epoch, Forced: c >= 128, Candidate: seqAddr(c),
			RunID: "r", Reason: "no-good-slave"}
	case 9:
		return &model.FailoverState{Header: h, Master: master, Epoch: epoch, State: seqStates[c%6]}
	case 10:
		var p *model.Promotion
		if c >= 128 {
			p = &model.Promotion{RunID: "r", ReplID: "x", Offset: int64(c)}
		}
		return &model.SwitchMaster{Header: h, Master: master, Epoch: epoch, Addr: seqAddr(c), Promotion: p}
	case 11:
		return &model.Reconf{Header: h, Master: master, Epoch: epoch, Addr: seqAddr(c), Phase: seqPhases[(c/5)%4]}
	case 12:
		return &model.FailoverEnd{Header: h, Master: master, Epoch: epoch, Timeout: c%2 == 1}
	case 13:
		return &model.FailoverAbort{Header: h, Master: master, Epoch: epoch, Reason: "slave-timeout"}
	case 14:
		return &model.Announce{Header: h, Master: master, Channel: "+sdown", Payload: "x"}
	case 15:
		return &model.RegisterNode{Header: h, Addr: seqAddr(c), LogVersion: int(c % 4)}
	case 16:
		return &model.ConfigSet{Header: h, Pairs: seqConfig[c%4]}
	default:
		seed := &model.Seed{CurrentEpoch: uint64(c % 4)}
		if c%2 == 1 {
			seed.Masters = []model.SeedMaster{{Name: master, Addr: seqAddr(b), Settings: model.DefaultSettings(2),
				ConfigEpoch: uint64(c % 3), Replicas: []model.Addr{seqAddr(c)}}}
		}
		return &model.SeedConfig{Header: h, Seed: seed}
	}
}
