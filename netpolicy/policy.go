package netpolicy

import "net"

// Policy says whether non-global addresses may be called.
// The zero value is the safe production policy.
type Policy struct {
	AllowPrivate bool          // HOOKFLOW_ALLOW_PRIVATE_NETWORKS / dev mode
	Resolver     *net.Resolver // nil = net.DefaultResolver
}

// resolver returns the configured resolver, defaulting so the zero Policy works.
func (p Policy) resolver() *net.Resolver {
	if p.Resolver != nil {
		return p.Resolver
	}
	return net.DefaultResolver
}
