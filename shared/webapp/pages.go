package webapp

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/divinepic/pipeline/shared/domain"
)

var templateFuncs = template.FuncMap{
	"bytes": func(n int64) string {
		switch {
		case n >= 1<<20:
			return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
		case n >= 1<<10:
			return fmt.Sprintf("%d KB", n>>10)
		}
		return fmt.Sprintf("%d B", n)
	},
	"date": func(t time.Time) string { return t.UTC().Format("2 Jan 2006") },
}

// render writes a page from templates/.
func (a *App) render(w http.ResponseWriter, status int, name string, data any) {
	var buf bytes.Buffer
	if err := a.pages.ExecuteTemplate(&buf, name, data); err != nil {
		writeError(w, fmt.Errorf("template %s: %w", name, err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

type homeData struct {
	Photographer *domain.Photographer
	CSRF         string
	Albums       []*domain.Album
}

// homePage is the sign-in form, or the photographer's albums.
func (a *App) homePage(w http.ResponseWriter, r *http.Request) {
	c, err := a.photographer(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if c.photographer == nil {
		a.render(w, http.StatusOK, "signin.html", nil)
		return
	}
	als, err := a.albumsOf(r.Context(), c.photographer.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	a.render(w, http.StatusOK, "albums.html", homeData{Photographer: c.photographer, CSRF: a.csrfToken(c.photographer), Albums: als})
}

type albumData struct {
	Photographer *domain.Photographer
	CSRF         string
	Album        *domain.Album
	Photos       []photoView
	Counts       map[string]int
	Faces        int
	Skipped      int
	Processed    bool
	Total        int         // photos in the album; Photos holds at most maxPagePhotos of them
	People       *peopleView // nil until the album's faces are grouped
}

// maxPagePhotos is how many photos the album page shows: the ones that need
// the photographer's attention first (failed, unreadable, waiting), then
// the others in name order.
const maxPagePhotos = 500

var statusOrder = map[string]int{"failed": 0, "unreadable": 1, "pending": 2}

func pagePhotos(photos []photoView) []photoView {
	out := slices.Clone(photos)
	rank := func(p photoView) int {
		if r, ok := statusOrder[p.Status]; ok {
			return r
		}
		return len(statusOrder)
	}
	slices.SortStableFunc(out, func(a, b photoView) int { return rank(a) - rank(b) })
	if len(out) > maxPagePhotos {
		out = out[:maxPagePhotos]
	}
	return out
}

// albumPage is an album: upload, progress, photos with their faces.
func (a *App) albumPage(w http.ResponseWriter, r *http.Request) {
	c, err := a.photographer(r)
	if err != nil {
		writeError(w, err)
		return
	}
	if c.photographer == nil {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	al, err := a.ownedAlbum(r.Context(), c, r.PathValue("album"))
	if err != nil {
		a.render(w, http.StatusNotFound, "notfound.html", nil)
		return
	}
	st, err := a.albumState(r.Context(), al.ID)
	if err != nil {
		writeError(w, err)
		return
	}
	d := albumData{Photographer: c.photographer, CSRF: a.csrfToken(c.photographer), Album: al, Photos: st.photos,
		Counts: map[string]int{}, Processed: st.index != nil}
	for _, p := range st.photos {
		d.Counts[p.Status]++
		d.Faces += p.Faces
	}
	if st.summary != nil {
		d.Skipped = st.summary.Skipped
	}
	d.Total = len(st.photos)
	d.Photos = pagePhotos(st.photos)
	if d.People, err = a.albumPeople(r.Context(), al.ID); err != nil {
		writeError(w, err)
		return
	}
	a.render(w, http.StatusOK, "album.html", d)
}

// guestPage is the guest's selfie page. A bad or expired link gets a page
// that says so (and nothing about the album).
func (a *App) guestPage(w http.ResponseWriter, r *http.Request) {
	link := r.PathValue("link")
	albumID, err := a.guestAlbum(link)
	if err != nil {
		a.render(w, http.StatusUnauthorized, "guest_invalid.html", toAPIError(err))
		return
	}
	title := albumID
	if al, err := a.album(r.Context(), albumID); err == nil && al != nil {
		title = al.Title
	}
	a.render(w, http.StatusOK, "guest.html", map[string]string{"Title": title, "Link": link})
}
