package natsjs

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/lexledger/lexledger/eventlog"
)

// Health counts towards a write's quorum the leader and the replicas it
// heard from within QuorumWindow: a leader cut off from both followers
// still names itself, and is not ready.
func TestQuorum(t *testing.T) {
	peer := func(name string, active time.Duration, offline bool) *jetstream.PeerInfo {
		return &jetstream.PeerInfo{Name: name, Current: !offline, Active: active, Offline: offline}
	}
	info := func(replicas int, leader string, peers ...*jetstream.PeerInfo) *jetstream.StreamInfo {
		return &jetstream.StreamInfo{Config: jetstream.StreamConfig{Replicas: replicas}, Cluster: &jetstream.ClusterInfo{Leader: leader, Replicas: peers}}
	}
	tests := []struct {
		name string
		info *jetstream.StreamInfo
		want string // in the error; empty for ready
	}{
		{"one replica", &jetstream.StreamInfo{Config: jetstream.StreamConfig{Replicas: 1}}, ""},
		{"all heard", info(3, "n1", peer("n2", 300*time.Millisecond, false), peer("n3", 900*time.Millisecond, false)), ""},
		{"one follower gone", info(3, "n1", peer("n2", 300*time.Millisecond, false), peer("n3", time.Minute, true)), ""},
		{"one follower silent", info(3, "n1", peer("n2", 300*time.Millisecond, false), peer("n3", 8*time.Second, false)), ""},
		{"both followers silent", info(3, "n1", peer("n2", 6*time.Second, false), peer("n3", 12*time.Second, false)), "leader n1 has not heard from a quorum (2 of 3)"},
		{"both followers offline", info(3, "n1", peer("n2", 0, true), peer("n3", 0, true)), "leader n1 has not heard from a quorum"},
		{"no leader", info(3, "", peer("n2", time.Second, false)), "has no leader"},
		{"five replicas, two heard", info(5, "n1", peer("n2", time.Second, false), peer("n3", time.Second, false), peer("n4", time.Minute, false), peer("n5", 0, true)), ""},
		{"five replicas, one heard", info(5, "n1", peer("n2", time.Second, false), peer("n3", 10*time.Second, false), peer("n4", time.Minute, false), peer("n5", 0, true)), "(3 of 5)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := quorum("LEX", tt.info)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("not ready: %v", err)
				}
				return
			}
			var nl *NoLeaderError
			if !errors.As(err, &nl) || !errors.Is(err, eventlog.ErrUnavailable) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v; want a *NoLeaderError, unavailable, saying %q", err, tt.want)
			}
		})
	}
}
