// Package webapp is DivinePic's front door: one http.Handler with the
// photographer's pages (sign in, albums, upload, progress, the album's
// photos with their faces), the guest's page (a selfie, then their photos),
// and the JSON API under /api that both use. `divinepic serve` serves it
// beside the Step Functions API; on AWS it runs in a Lambda behind a
// Function URL (lambdas/app).
//
// Who may do what is decided here and only here:
//
//   - a photographer authenticates with a token (`divinepic token create`),
//     stored only as its sha256 (names.TokenKey); the browser keeps it in an
//     HttpOnly, SameSite=Strict cookie, and every state-changing request made
//     with that cookie must carry the page's CSRF token (X-CSRF-Token);
//     a photographer sees and changes their own albums only;
//   - a guest holds an album's guest link: the album id and an expiry,
//     HMAC-signed with the configured secret. It searches that album only,
//     never lists it, and gets signed, expiring grants for the photos that
//     matched and for nothing else. The selfie is never stored. Searches are
//     rate-limited per client address;
//   - photo bytes go to the store through upload URLs that the app signs:
//     presigned S3 PUTs on AWS, the app's own /api/uploads/ here
//     (streamed to disk, checksum and content checked before they land).
//
// Errors are JSON, {"error":{"code","message"}}, with a stable code and a
// message that says what to do; they never carry a path or a Go type.
// Templates and static files are embedded (templates/, static/).
//
// It owns no pipeline logic: searching is steps.Steps.Search, processing is
// the workflow, started and watched through the Step Functions API
// (Workflow).
package webapp
