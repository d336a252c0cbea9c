package images

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/moby/client"
)

// DockerLoader loads archives into a Docker engine (docker load).
type DockerLoader struct {
	// Socket is dockerd's socket as reachable from this process.
	Socket string
}

// Load implements Loader.
func (l *DockerLoader) Load(ctx context.Context, img v1.Image, ref string) (Loaded, error) {
	start := time.Now()
	res := Loaded{Ref: ref}
	id, bytes, err := identity(img)
	if err != nil {
		return res, fmt.Errorf("image %s: %w", ref, err)
	}
	res.Bytes = bytes
	c, err := client.New(client.WithHost("unix://" + l.Socket))
	if err != nil {
		return res, fmt.Errorf("connect to docker at %s: %w", l.Socket, err)
	}
	defer c.Close()
	previous := ""
	if have, err := c.ImageInspect(ctx, ref); err == nil {
		if have.ID == id {
			res.Skipped, res.Duration = true, time.Since(start)
			return res, nil
		}
		previous = have.ID
	}
	archive, err := archiveStream(img, ref)
	if err != nil {
		return res, err
	}
	defer archive.Close()
	resp, err := c.ImageLoad(ctx, archive, client.ImageLoadWithQuiet(true))
	if err != nil {
		return res, fmt.Errorf("docker load %s: %w", ref, err)
	}
	defer resp.Close()
	if err := dockerStreamError(resp); err != nil {
		return res, fmt.Errorf("docker load %s: %w", ref, err)
	}
	have, err := c.ImageInspect(ctx, ref)
	if err != nil {
		return res, fmt.Errorf("docker does not report %s after load: %w", ref, err)
	}
	if have.ID != id {
		return res, fmt.Errorf("docker reports %s as %s after load, want %s", ref, have.ID, id)
	}
	// The previous image of ref, a dangling one now, is of no use.
	if previous != "" {
		if old, err := c.ImageInspect(ctx, previous); err == nil && len(old.RepoTags) == 0 {
			if _, err := c.ImageRemove(ctx, previous, client.ImageRemoveOptions{}); err == nil {
				res.Removed = previous
			}
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// dockerStreamError returns the error a docker JSON message stream reports.
func dockerStreamError(r io.Reader) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error       string `json:"error"`
			ErrorDetail struct {
				Message string `json:"message"`
			} `json:"errorDetail"`
		}
		if err := dec.Decode(&msg); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if msg.Error != "" {
			return errors.New(msg.Error)
		}
	}
}
