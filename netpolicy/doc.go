// Package netpolicy decides which callback URLs hookflow may call.
//
// Webhook URLs are chosen by customers, so a naive sender is an SSRF
// primitive: it would happily POST to 127.0.0.1, the cloud metadata service
// or anything else on the internal network. The policy is therefore checked
// twice:
//
//   - at registration time (ParseCallbackURL + Policy.CheckURL), so customers
//     get an immediate, explainable error, and
//   - at connect time (Policy.DialContext, used by Policy.NewHTTPClient), on
//     the exact IP being dialled, so a DNS answer that changes after
//     registration (DNS rebinding) still cannot reach an internal host.
//
// Policy.AllowPrivate switches the address checks off for local development
// (HOOKFLOW_ALLOW_PRIVATE_NETWORKS); the syntax checks always apply.
package netpolicy
