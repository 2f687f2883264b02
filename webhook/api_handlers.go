package webhook

import "net/http"

func (a *API) list(r *http.Request) (int, any, error) {
	subs, err := a.disp.Store().List(r.Context())
	return http.StatusOK, map[string]any{"webhooks": subs}, err
}

func (a *API) get(r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	sub, err := a.disp.Store().Get(r.Context(), id)
	return http.StatusOK, sub, err
}

type createRequest struct {
	URL         string   `json:"url"`
	Types       []string `json:"types"`
	Description string   `json:"description"`
	From        string   `json:"from"`
}

func (a *API) create(r *http.Request) (int, any, error) {
	var req createRequest
	if err := decode(r, &req, false); err != nil {
		return 0, nil, err
	}
	types, err := ParseTypes(req.Types)
	if err != nil {
		return 0, nil, err
	}
	from, fromStart, err := ParseFrom(req.From)
	if err != nil {
		return 0, nil, err
	}
	c, err := a.disp.Store().Add(r.Context(), Input{URL: req.URL, Types: types, Description: req.Description,
		CreatedBy: a.actor(r), From: from, FromStart: fromStart})
	return http.StatusCreated, c, err
}

func (a *API) remove(r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.disp.Store().Remove(r.Context(), id)
}

func (a *API) test(r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	at, err := a.disp.Test(r.Context(), id)
	return http.StatusOK, map[string]any{"ok": at.OK(), "attempt": at}, err
}

func (a *API) enable(r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	sub, err := a.disp.Store().Enable(r.Context(), id)
	return http.StatusOK, sub, err
}

func (a *API) disable(r *http.Request) (int, any, error) {
	id, err := pathID(r)
	if err != nil {
		return 0, nil, err
	}
	var req struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &req, true); err != nil {
		return 0, nil, err
	}
	sub, err := a.disp.Store().Disable(r.Context(), id, req.Reason)
	return http.StatusOK, sub, err
}
