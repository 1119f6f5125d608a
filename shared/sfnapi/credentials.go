package sfnapi

import (
	"bufio"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/divinepic/pipeline/shared/sigv4"
)

// Profile is the name of the AWS CLI / SDK profile that WriteProfile
// writes for a server's credentials.
const Profile = "divinepic"

// The files of a credentials directory, in the AWS CLI's formats.
const (
	CredentialsFile = "credentials" // [divinepic] aws_access_key_id, aws_secret_access_key (mode 0600)
	ConfigFile      = "config"      // [profile divinepic] region, endpoint_url
)

// Credentials are the access key a client signs its requests with (AWS
// Signature Version 4), as shared/sigv4 verifies them.
type Credentials = sigv4.Credentials

// signingService is the service name of Step Functions in a credential
// scope (<date>/<region>/states/aws4_request).
const signingService = "states"

// LoadOrCreateCredentials returns the access key kept in dir/credentials,
// creating dir (mode 0700) and a new random key (mode 0600) when there is
// none. created says a new key was made. A credentials file that others may
// read is refused, as ssh refuses a private key that others may read.
func LoadOrCreateCredentials(dir string) (c Credentials, created bool, err error) {
	path := filepath.Join(dir, CredentialsFile)
	c, err = ReadCredentials(path)
	if err == nil {
		return c, false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return Credentials{}, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return Credentials{}, false, fmt.Errorf("credentials directory: %w", err)
	}
	c = Credentials{AccessKeyID: "DPLOCAL" + randomString(13, true), SecretAccessKey: randomString(40, false)}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Credentials{}, false, fmt.Errorf("create credentials: %w", err)
	}
	_, werr := fmt.Fprintf(f, "# Written by divinepic serve: the key its Step Functions API accepts (AWS Signature Version 4).\n[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		Profile, c.AccessKeyID, c.SecretAccessKey)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return Credentials{}, false, fmt.Errorf("create credentials: %w", err)
	}
	return c, true, nil
}

// ReadCredentials reads the divinepic profile of an AWS shared credentials
// file. The file must not be readable by group or others.
func ReadCredentials(path string) (Credentials, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Credentials{}, err
	}
	if st.Mode().Perm()&0o077 != 0 {
		return Credentials{}, fmt.Errorf("credentials file %s may be read by others (mode %04o): run chmod 600 on it", path, st.Mode().Perm())
	}
	f, err := os.Open(path)
	if err != nil {
		return Credentials{}, err
	}
	defer f.Close()
	var c Credentials
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = line == "["+Profile+"]"
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !in || !ok {
			continue
		}
		switch strings.TrimSpace(k) {
		case "aws_access_key_id":
			c.AccessKeyID = strings.TrimSpace(v)
		case "aws_secret_access_key":
			c.SecretAccessKey = strings.TrimSpace(v)
		}
	}
	if err := sc.Err(); err != nil {
		return Credentials{}, fmt.Errorf("read credentials %s: %w", path, err)
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return Credentials{}, fmt.Errorf("credentials file %s has no [%s] aws_access_key_id and aws_secret_access_key: delete it and restart divinepic serve for a new key", path, Profile)
	}
	return c, nil
}

// WriteProfile writes dir/config: the divinepic profile with the region
// and the endpoint of the server (the AWS CLI >= 2.13 and the SDKs read
// endpoint_url; older CLIs need --endpoint-url).
func WriteProfile(dir, region, endpoint string) error {
	body := fmt.Sprintf("# Written by divinepic serve on each start. Use with\n#   AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s AWS_PROFILE=%s\n[profile %s]\nregion = %s\nendpoint_url = %s\noutput = json\n",
		filepath.Join(dir, ConfigFile), filepath.Join(dir, CredentialsFile), Profile, Profile, region, endpoint)
	tmp := filepath.Join(dir, ConfigFile+".tmp")
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return fmt.Errorf("write AWS profile: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, ConfigFile)); err != nil {
		return fmt.Errorf("write AWS profile: %w", err)
	}
	return nil
}

// randomString returns n random characters: upper-case letters and digits
// (an access key id's alphabet) or base64's.
func randomString(n int, upper bool) string {
	b := make([]byte, n)
	rand.Read(b)
	var s string
	if upper {
		s = base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)
	} else {
		s = base64.RawStdEncoding.EncodeToString(b)
	}
	return s[:n]
}
