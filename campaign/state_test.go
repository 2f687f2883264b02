package campaign_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
)

func TestCampaignLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s := b.store
	c := createCampaign(t, b, input(addBrand(t, b, "Acme")))
	at1, at2, at3 := now().Add(time.Hour), now().Add(2*time.Hour), now().Add(3*time.Hour)

	step := func(c campaign.Campaign, err error) campaign.Campaign {
		t.Helper()
		require.NoError(t, err)
		return c
	}
	c = step(s.Schedule(b.ctx, c.ID, at1))
	assert.Equal(t, campaign.StatusScheduled, c.Status)
	assert.Equal(t, 1, c.ScheduleVersion)
	c = step(s.Schedule(b.ctx, c.ID, at2))
	assert.Equal(t, 2, c.ScheduleVersion, "moving the time makes a new schedule version")
	require.NotNil(t, c.ScheduledAt)
	assert.True(t, at2.Equal(*c.ScheduledAt))

	_, err := s.MarkRunning(b.ctx, c.ID, 1)
	require.ErrorIs(t, err, campaign.ErrStaleSchedule, "the first schedule's start task must not start it")

	c = step(s.Pause(b.ctx, c.ID))
	assert.Equal(t, campaign.StatusPaused, c.Status)
	c = step(s.Schedule(b.ctx, c.ID, at3))
	assert.Equal(t, campaign.StatusScheduled, c.Status, "a campaign paused before starting can be rescheduled")
	c = step(s.Pause(b.ctx, c.ID))
	c = step(s.Resume(b.ctx, c.ID))
	assert.Equal(t, campaign.StatusScheduled, c.Status, "resuming one that never started schedules it again")
	assert.Equal(t, 4, c.ScheduleVersion)

	c = step(s.MarkRunning(b.ctx, c.ID, 4))
	assert.Equal(t, campaign.StatusRunning, c.Status)
	require.NotNil(t, c.StartedAt)
	started := *c.StartedAt
	c = step(s.MarkRunning(b.ctx, c.ID, 4))
	assert.Equal(t, started, *c.StartedAt, "a repeated start changes nothing")

	c = step(s.Pause(b.ctx, c.ID))
	c = step(s.Resume(b.ctx, c.ID))
	assert.Equal(t, campaign.StatusRunning, c.Status, "resuming a started campaign runs it again")
	assert.Equal(t, 4, c.ScheduleVersion)
	_, err = s.Schedule(b.ctx, c.ID, at1)
	require.ErrorIs(t, err, campaign.ErrInvalidTransition)

	c = step(s.MarkDone(b.ctx, c.ID))
	assert.Equal(t, campaign.StatusDone, c.Status)
	require.NotNil(t, c.FinishedAt)
	again := step(s.MarkDone(b.ctx, c.ID))
	assert.Equal(t, c, again, "MarkDone is idempotent")
	_, err = s.Cancel(b.ctx, c.ID)
	require.ErrorIs(t, err, campaign.ErrInvalidTransition)
	assert.ErrorContains(t, err, "done → cancelled")
}

func TestInvalidTransitionsNameFromAndTo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := addBrand(t, b, "Acme")
	type op func(ctx context.Context, s *campaign.Store, id int64) (campaign.Campaign, error)
	pause := func(ctx context.Context, s *campaign.Store, id int64) (campaign.Campaign, error) {
		return s.Pause(ctx, id)
	}
	resume := func(ctx context.Context, s *campaign.Store, id int64) (campaign.Campaign, error) {
		return s.Resume(ctx, id)
	}
	cancel := func(ctx context.Context, s *campaign.Store, id int64) (campaign.Campaign, error) {
		return s.Cancel(ctx, id)
	}
	done := func(ctx context.Context, s *campaign.Store, id int64) (campaign.Campaign, error) {
		return s.MarkDone(ctx, id)
	}
	run := func(ctx context.Context, s *campaign.Store, id int64) (campaign.Campaign, error) {
		return s.MarkRunning(ctx, id, 0)
	}
	schedule := func(ctx context.Context, s *campaign.Store, id int64) (campaign.Campaign, error) {
		return s.Schedule(ctx, id, now())
	}
	tests := []struct {
		name    string
		before  []op
		op      op
		wantMsg string
	}{
		{"pause a draft", nil, pause, "draft → paused"},
		{"resume a draft", nil, resume, "draft → running"},
		{"start a draft", nil, run, "draft → running"},
		{"finish a draft", nil, done, "draft → done"},
		{"finish a scheduled one", []op{schedule}, done, "scheduled → done"},
		{"cancel twice", []op{cancel}, cancel, "cancelled → cancelled"},
		{"schedule a cancelled one", []op{cancel}, schedule, "cancelled → scheduled"},
		{"resume a cancelled one", []op{cancel}, resume, "cancelled → running"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := createCampaign(t, b, input(brand))
			for _, before := range tt.before {
				_, err := before(b.ctx, b.store, c.ID)
				require.NoError(t, err)
			}
			_, err := tt.op(b.ctx, b.store, c.ID)
			require.ErrorIs(t, err, campaign.ErrInvalidTransition)
			assert.ErrorContains(t, err, tt.wantMsg)
			_, err = tt.op(b.ctx, b.store, c.ID+1000)
			assert.ErrorIs(t, err, campaign.ErrNotFound)
		})
	}

	_, err := b.store.Schedule(b.ctx, createCampaign(t, b, input(brand)).ID, time.Time{})
	assert.ErrorIs(t, err, campaign.ErrInvalid, "a schedule needs a time")
}

func TestConcurrentTransitionsHaveOneWinner(t *testing.T) {
	t.Parallel()
	b := setup(t)
	c := createCampaign(t, b, input(addBrand(t, b, "Acme")))
	const n = 8

	// Every concurrent Schedule wins, one after the other: no version bump is lost.
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := b.store.Schedule(b.ctx, c.ID, now())
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	got, err := b.store.Get(b.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, n, got.ScheduleVersion)

	// Of concurrent cancels, exactly one wins.
	errs = make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := b.store.Cancel(b.ctx, c.ID)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	won := 0
	for err := range errs {
		if err == nil {
			won++
			continue
		}
		require.True(t, errors.Is(err, campaign.ErrInvalidTransition), "%v", err)
	}
	assert.Equal(t, 1, won)
}

func TestDueAndRunning(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := addBrand(t, b, "Acme")
	past := createCampaign(t, b, input(brand))
	future := createCampaign(t, b, input(brand))
	running := createCampaign(t, b, input(brand))
	createCampaign(t, b, input(brand)) // a draft is neither

	_, err := b.store.Schedule(b.ctx, past.ID, now().Add(-time.Minute))
	require.NoError(t, err)
	_, err = b.store.Schedule(b.ctx, future.ID, now().Add(time.Hour))
	require.NoError(t, err)
	_, err = b.store.Schedule(b.ctx, running.ID, now().Add(-time.Hour))
	require.NoError(t, err)
	_, err = b.store.MarkRunning(b.ctx, running.ID, 1)
	require.NoError(t, err)

	due, err := b.store.Due(b.ctx, now())
	require.NoError(t, err)
	require.Len(t, due, 1)
	assert.Equal(t, past.ID, due[0].ID)

	rs, err := b.store.Running(b.ctx)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.Equal(t, running.ID, rs[0].ID)
}
