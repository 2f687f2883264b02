package campaign_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kirje/kirje/campaign"
	"github.com/kirje/kirje/templates"
)

const offerURL = "https://kirje.example/offer"

// input is a valid campaign for brand; tests change what they need.
func input(brand int64) campaign.Input {
	return campaign.Input{
		BrandID:   brand,
		Name:      "Spring offer",
		Subject:   "Hei {{ .Contact.FirstName }}, spring prices",
		HTML:      `<p>Hei {{ .Contact.FirstName }}!</p><p><a href="` + offerURL + `">See the offer</a></p>`,
		Segment:   campaign.Match("title", campaign.OpContains, "purchas"),
		CreatedBy: "maija",
	}
}

func createCampaign(t testing.TB, b bundle, in campaign.Input) campaign.Campaign {
	t.Helper()
	c, err := b.store.Create(b.ctx, in)
	require.NoError(t, err)
	return c
}

func TestCreateStoresCampaignAndItsLinks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := addBrand(t, b, "Acme")

	c := createCampaign(t, b, input(brand))
	assert.Equal(t, campaign.StatusDraft, c.Status)
	assert.Equal(t, templates.LayoutDefault, c.Layout, "an empty layout is the default one")
	assert.Equal(t, "maija", c.CreatedBy)
	assert.Nil(t, c.ScheduledAt)

	got, err := b.store.Get(b.ctx, c.ID)
	require.NoError(t, err)
	assert.Equal(t, c, got)
	assert.Equal(t, input(brand).Segment, got.Segment, "the segment round-trips through jsonb")

	links, err := b.store.Links(b.ctx, c.ID)
	require.NoError(t, err)
	var offer, honeypot *templates.Link
	for i := range links {
		if links[i].URL == offerURL {
			offer = &links[i]
		}
		if links[i].Honeypot {
			honeypot = &links[i]
		}
	}
	require.NotNil(t, offer, "the body's link is stored: %v", links)
	require.NotNil(t, honeypot, "the layout's honeypot link is stored with its flag: %v", links)

	one, err := b.store.Link(b.ctx, c.ID, offer.ID)
	require.NoError(t, err)
	assert.Equal(t, *offer, one)
	_, err = b.store.Link(b.ctx, c.ID, 999)
	assert.ErrorIs(t, err, campaign.ErrNotFound)
}

func TestCreateRefusesInvalidCampaigns(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := addBrand(t, b, "Acme")
	tests := []struct {
		name    string
		change  func(*campaign.Input)
		wantErr error
		wantMsg string
	}{
		{"no name", func(in *campaign.Input) { in.Name = "  " }, nil, "name is empty"},
		{"no subject", func(in *campaign.Input) { in.Subject = "" }, nil, "subject is empty"},
		{"no body", func(in *campaign.Input) { in.HTML = "" }, nil, "HTML body is empty"},
		{"unknown brand", func(in *campaign.Input) { in.BrandID = brand + 100 }, nil, "does not exist"},
		{"unknown layout", func(in *campaign.Input) { in.Layout = "fancy" }, nil, `layout "fancy"`},
		{"bad segment", func(in *campaign.Input) { in.Segment = campaign.Match("titel", campaign.OpEq, "x") },
			campaign.ErrInvalidFilter, `field: unknown field "titel"`},
		{"template syntax", func(in *campaign.Input) { in.Subject = "Hei {{ .Contact.FirstName" },
			templates.ErrSyntax, "subject"},
		{"unknown merge field", func(in *campaign.Input) { in.HTML = "<p>{{ .Contact.Nickname }}</p>" },
			templates.ErrRender, "Nickname"},
		{"no unsubscribe link", func(in *campaign.Input) {
			in.Layout = templates.LayoutNone
			in.Text = "Hei"
		}, templates.ErrNoUnsubscribe, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in := input(brand)
			tt.change(&in)
			_, err := b.store.Create(b.ctx, in)
			require.ErrorIs(t, err, campaign.ErrInvalid)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			assert.ErrorContains(t, err, tt.wantMsg)
		})
	}
	list, err := b.store.List(b.ctx, campaign.ListOptions{})
	require.NoError(t, err)
	assert.Empty(t, list, "nothing refused was stored")
}

func TestUpdateReplacesADraftAndItsLinks(t *testing.T) {
	t.Parallel()
	b := setup(t)
	brand := addBrand(t, b, "Acme")
	c := createCampaign(t, b, input(brand))

	in := input(brand)
	in.Name = "Spring offer v2"
	in.HTML = `<p><a href="https://kirje.example/new">New</a></p>`
	in.CreatedBy = "someone else"
	u, err := b.store.Update(b.ctx, c.ID, in)
	require.NoError(t, err)
	assert.Equal(t, "Spring offer v2", u.Name)
	assert.Equal(t, "maija", u.CreatedBy, "Update keeps the author")

	links, err := b.store.Links(b.ctx, c.ID)
	require.NoError(t, err)
	var urls []string
	for _, l := range links {
		urls = append(urls, l.URL)
	}
	assert.Contains(t, urls, "https://kirje.example/new")
	assert.NotContains(t, urls, offerURL, "a link the new body lacks is gone")

	_, err = b.store.Schedule(b.ctx, c.ID, now())
	require.NoError(t, err)
	_, err = b.store.Update(b.ctx, c.ID, in)
	assert.ErrorIs(t, err, campaign.ErrNotDraft)
	_, err = b.store.Update(b.ctx, c.ID+100, in)
	assert.ErrorIs(t, err, campaign.ErrNotFound)
	in.Subject = ""
	_, err = b.store.Update(b.ctx, c.ID, in)
	assert.ErrorIs(t, err, campaign.ErrInvalid)
}

func TestListFiltersAndPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	acme, other := addBrand(t, b, "Acme"), addBrand(t, b, "Other")
	var ids []int64
	for i, brand := range []int64{acme, other, acme, acme} {
		c := createCampaign(t, b, input(brand))
		ids = append(ids, c.ID)
		if i == 2 {
			_, err := b.store.Schedule(b.ctx, c.ID, now())
			require.NoError(t, err)
		}
	}
	idsOf := func(cs []campaign.Campaign) []int64 {
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}

	all, err := b.store.List(b.ctx, campaign.ListOptions{})
	require.NoError(t, err)
	assert.Equal(t, []int64{ids[3], ids[2], ids[1], ids[0]}, idsOf(all), "newest first")

	page, err := b.store.List(b.ctx, campaign.ListOptions{Limit: 2, BeforeID: ids[3]})
	require.NoError(t, err)
	assert.Equal(t, []int64{ids[2], ids[1]}, idsOf(page))

	acmes, err := b.store.List(b.ctx, campaign.ListOptions{BrandID: acme, Statuses: []campaign.Status{campaign.StatusDraft}})
	require.NoError(t, err)
	assert.Equal(t, []int64{ids[3], ids[0]}, idsOf(acmes))
}
