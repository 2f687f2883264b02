package main

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/kirje/kirje/access"
	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/internal/pg"
	"github.com/kirje/kirje/internal/ratelimit"
)

// commands is every subcommand of kirje.
func commands() []*command {
	return []*command{
		migrateCommand(),
		serveCommand(),
		workerCommand(),
		runCommand(),
		brandsCreateCommand(),
		brandsListCommand(),
		contactsImportCommand(),
		contactsShowCommand(),
		segmentsPreviewCommand(),
		campaignsCreateCommand(),
		campaignsScheduleCommand(),
		campaignTransition("pause", "pause a running or scheduled campaign (takes effect within one batch)", access.ActionCampaignPause, (*campaign.Store).Pause, false),
		campaignTransition("resume", "resume a paused campaign", access.ActionCampaignResume, (*campaign.Store).Resume, true),
		campaignTransition("cancel", "cancel a campaign; what is unsent stays unsent", access.ActionCampaignCancel, (*campaign.Store).Cancel, false),
		campaignsShowCommand(),
		campaignsListCommand(),
		campaignsTestCommand(),
		suppressionsAddCommand(),
		suppressionsRemoveCommand(),
		suppressionsListCommand(),
		suppressionsImportCommand(),
		suppressionsExportCommand(),
		usersAddCommand(),
		usersListCommand(),
		usersTokenCommand(),
		usersRevokeCommand(),
		usersDisableCommand(),
		inboundCommand(), inboundProcessCommand(),
		auditListCommand(), contactsUpdateCommand(), subjectsExportCommand(), subjectsObjectCommand(), subjectsEraseCommand(), subjectsTrackingCommand(),
		eventsTailCommand(), webhooksAddCommand(), webhooksListCommand(), webhooksTestCommand(), webhooksRemoveCommand(), webhooksEnableCommand(), campaignsReportCommand(),
	}
}

func newLimiter(rdb redis.UniversalClient, namespace string) *ratelimit.Limiter {
	return ratelimit.New(rdb, namespace+"rl:")
}

func pgMigrate(ctx context.Context, a *App) (pg.MigrateResult, error) {
	res, err := pg.Migrate(ctx, a.db, nil)
	if err == nil && len(res.Applied) > 0 {
		a.logger.Info("database migrated", "applied", len(res.Applied), "version", res.Version)
	}
	return res, err
}
