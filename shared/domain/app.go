package domain

import "time"

// The web app's records (shared/webapp); names.TokenKey and
// names.AlbumRecordKey say where they are stored.

// Photographer is a photographer token's record. The token itself is never
// stored: its record is found under the token's sha256.
type Photographer struct {
	ID        string    `json:"id"`   // a short id derived from the token's hash, the owner of albums
	Name      string    `json:"name"` // who it was made for, as given to `divinepic token create`
	CreatedAt time.Time `json:"createdAt"`
}

// Album is an album's record: who owns it, its title, and the execution that
// processes its last upload batch.
type Album struct {
	ID        string    `json:"id"`
	Title     string    `json:"title"`
	Owner     string    `json:"owner"` // Photographer.ID
	CreatedAt time.Time `json:"createdAt"`
	// LastExecution is the ARN of the album's latest execution, for progress.
	LastExecution string `json:"lastExecution,omitempty"`
}
