package runner

import "context"

// A tenant is whoever a job runs for: an API key's ID, "" for the one
// anonymous caller of a server without keys. Each job has a fresh
// interpreter, but the host page and its renderer process serve many jobs
// one after the other; so that nothing one tenant's job could leave in a
// renderer (a JIT's state, a compromised process) meets another tenant's
// job, a host runs the jobs of one tenant only, and a job of another
// tenant gets a fresh host.

type tenantKey struct{}

// WithTenant returns ctx saying that the job run with it runs for tenant.
func WithTenant(ctx context.Context, tenant string) context.Context {
	return context.WithValue(ctx, tenantKey{}, tenant)
}

func tenantOf(ctx context.Context) string {
	t, _ := ctx.Value(tenantKey{}).(string)
	return t
}

// serves reports whether the host may run a job of tenant.
func (h *host) serves(tenant string) bool { return !h.used || h.tenant == tenant }

// bindTenant gives the host to tenant for good.
func (h *host) bindTenant(tenant string) { h.used, h.tenant = true, tenant }
