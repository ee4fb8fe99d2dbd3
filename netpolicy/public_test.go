package netpolicy

import (
	"net/netip"
	"testing"
)

func TestIsPublic(t *testing.T) {
	tests := []struct {
		ip   string
		want bool
	}{
		// public IPv4
		{"8.8.8.8", true},
		{"1.1.1.1", true},
		{"93.184.216.34", true},
		{"100.63.255.255", true}, // just below CGNAT
		{"100.128.0.0", true},    // just above CGNAT
		{"172.15.255.255", true}, // just below 172.16/12
		{"172.32.0.0", true},     // just above 172.16/12
		{"198.17.255.255", true}, // just below benchmarking
		{"198.20.0.0", true},     // just above benchmarking
		{"223.255.255.255", true},
		// non-public IPv4
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"127.0.0.1", false},
		{"127.255.255.254", false},
		{"10.1.2.3", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"192.168.1.1", false},
		{"169.254.169.254", false},
		{"100.64.0.1", false},
		{"100.127.255.255", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"192.0.0.8", false},
		{"192.0.2.1", false},
		{"198.51.100.7", false},
		{"203.0.113.9", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		// public IPv6
		{"2001:4860:4860::8888", true},
		{"2606:4700:4700::1111", true},
		{"2a00:1450:4001::1", true},
		// non-public IPv6
		{"::", false},
		{"::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"100::1", false},
		{"2001:db8::1", false},
		{"2001::1", false}, // Teredo
		{"3fff::1", false},
		{"::127.0.0.1", false}, // deprecated IPv4-compatible
		{"64:ff9b:1::1", false},
		// IPv4-mapped IPv6 is judged as the IPv4 address
		{"::ffff:8.8.8.8", true},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.0.0.1", false},
		{"::ffff:169.254.169.254", false},
		// NAT64 well-known prefix
		{"64:ff9b::808:808", true},    // 8.8.8.8
		{"64:ff9b::7f00:1", false},    // 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false}, // 169.254.169.254
		// 6to4
		{"2002:808:808::1", true}, // 8.8.8.8
		{"2002:7f00:1::1", false}, // 127.0.0.1
		{"2002:a00:1::1", false},  // 10.0.0.1
	}
	for _, tt := range tests {
		ip := netip.MustParseAddr(tt.ip)
		if got := IsPublic(ip); got != tt.want {
			t.Errorf("IsPublic(%s) = %v, want %v", tt.ip, got, tt.want)
		}
	}
	if IsPublic(netip.Addr{}) {
		t.Error("IsPublic(zero Addr) = true, want false")
	}
}
