package main

import (
	"strconv"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

// pagingCollector pages RetrievePropertiesEx results as vCenter does: at most
// options.maxObjects objects (or the server's own page size) per answer, the
// rest behind a token for ContinueRetrievePropertiesEx. govmomi 0.24's
// simulator answers everything at once and has no ContinueRetrievePropertiesEx,
// so without this a client's continuation path would never run.
type pagingCollector struct {
	simulator.PropertyCollector

	pending map[string]pendingPage
	next    int
}

// pendingPage: what a token still holds, and the page size its request asked for.
type pendingPage struct {
	objects []types.ObjectContent
	size    int
}

// defaultPageSize is what the simulator returns per page when the client sets no maxObjects.
var defaultPageSize = 100

func installPagingCollector(pageSize int) {
	if pageSize > 0 {
		defaultPageSize = pageSize
	}
	pc := &pagingCollector{}
	pc.Self = simulator.Map.Get(vim25.ServiceInstance).(*simulator.ServiceInstance).Content.PropertyCollector
	simulator.Map.Put(pc)
}

func (pc *pagingCollector) RetrievePropertiesEx(ctx *simulator.Context, r *types.RetrievePropertiesEx) soap.HasFault {
	body := pc.PropertyCollector.RetrievePropertiesEx(ctx, r).(*methods.RetrievePropertiesExBody)
	if body.Res == nil {
		return body
	}
	size := defaultPageSize
	if r.Options.MaxObjects > 0 && int(r.Options.MaxObjects) < size {
		size = int(r.Options.MaxObjects)
	}
	body.Res.Returnval = pc.page(body.Res.Returnval.Objects, size)
	return body
}

func (pc *pagingCollector) ContinueRetrievePropertiesEx(ctx *simulator.Context, r *types.ContinueRetrievePropertiesEx) soap.HasFault {
	body := &methods.ContinueRetrievePropertiesExBody{}
	rest, ok := pc.pending[r.Token]
	if !ok {
		body.Fault_ = simulator.Fault("unknown token", &types.InvalidArgument{InvalidProperty: "token"})
		return body
	}
	delete(pc.pending, r.Token)
	body.Res = &types.ContinueRetrievePropertiesExResponse{Returnval: *pc.page(rest.objects, rest.size)}
	return body
}

func (pc *pagingCollector) page(objects []types.ObjectContent, size int) *types.RetrieveResult {
	if len(objects) <= size {
		return &types.RetrieveResult{Objects: objects}
	}
	if pc.pending == nil {
		pc.pending = map[string]pendingPage{}
	}
	pc.next++
	token := strconv.Itoa(pc.next)
	pc.pending[token] = pendingPage{objects: objects[size:], size: size}
	return &types.RetrieveResult{Objects: objects[:size], Token: token}
}
