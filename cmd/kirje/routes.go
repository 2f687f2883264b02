package main

import (
	"strings"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/api"
	"github.com/kirje/kirje/engagement"
	"github.com/kirje/kirje/feed"
	"github.com/kirje/kirje/report"
	"github.com/kirje/kirje/webhook"
)

// extraRoutes are the API routes other packages serve: the event feed, engagement rollups,
// campaign reports and webhook subscriptions. They go through the API's route table, so each
// has its permission (and audit action where it changes state or exports personal data).
func (a *App) extraRoutes() []api.Route {
	routes := []api.Route{
		{Pattern: "GET /api/v1/events", Perm: access.EventsRead, Handler: feed.Handler(a.db, a.logger)},
		{Pattern: "GET /api/v1/contacts/{id}/engagement", Perm: access.RegisterRead, Handler: engagement.Handler(a.db, nil, a.logger)},
	}
	for _, r := range report.Routes(a.db, nil, a.logger) {
		audit := ""
		if strings.HasSuffix(r.Pattern, ".csv") {
			audit = access.ActionReportExport // per-recipient outcomes are personal data
		}
		routes = append(routes, api.Route{Pattern: r.Pattern, Perm: access.ReportsRead, Audit: audit, Handler: r.Handler})
	}
	for _, r := range webhook.NewAPI(a.webhookDispatcher(), api.Actor, a.logger).Routes() {
		routes = append(routes, api.Route{Pattern: r.Pattern, Perm: access.WebhooksManage, Audit: webhookAudit(r.Pattern), Handler: r.Handler})
	}
	return routes
}

// webhookAudit is the audit action of a webhook route ("" for reads).
func webhookAudit(pattern string) string {
	switch {
	case strings.HasPrefix(pattern, "GET "):
		return ""
	case strings.HasPrefix(pattern, "DELETE "):
		return access.ActionWebhookRemove
	case strings.HasSuffix(pattern, "/test"):
		return access.ActionWebhookTest
	case strings.HasSuffix(pattern, "/enable"):
		return access.ActionWebhookEnable
	case strings.HasSuffix(pattern, "/disable"):
		return access.ActionWebhookDisable
	default:
		return access.ActionWebhookCreate
	}
}
