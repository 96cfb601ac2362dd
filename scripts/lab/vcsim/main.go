// vcsim: VMware's vCenter simulator (govmomi's simulator package) with an
// inventory that a herd test describes in JSON, served over HTTPS on one
// loopback address, with a certificate signed by a CA of its own.
//
// It reads its model (inventory, login, paging, latency) from the file named
// by -model, so that no credential appears on its command line, writes the
// CA's certificate to -ca, and prints one JSON line {"url": ...} on stdout
// once the SOAP API answers. It runs until SIGTERM or SIGINT.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/simulator"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:443", "address:port to serve the SOAP API on")
	modelFile := flag.String("model", "", "JSON file describing the inventory (see model.go)")
	caFile := flag.String("ca", "", "where to write the PEM certificate of the CA that signed the server certificate")
	flag.Parse()
	if *modelFile == "" || *caFile == "" {
		fail(fmt.Errorf("-model and -ca are required"))
	}
	if err := run(*listen, *modelFile, *caFile); err != nil {
		fail(err)
	}
}

func run(listen, modelFile, caFile string) error {
	inventory, err := readModel(modelFile)
	if err != nil {
		return err
	}
	host, err := hostOf(listen)
	if err != nil {
		return err
	}
	certs, err := newCertificates(host)
	if err != nil {
		return err
	}
	if err := os.WriteFile(caFile, certs.caPEM, 0o644); err != nil {
		return err
	}

	// An empty vCenter: the inventory is the model's, built through the API below.
	model := &simulator.Model{ServiceContent: simulator.VPX().ServiceContent, RootFolder: simulator.VPX().RootFolder}
	if err := model.Create(); err != nil {
		return err
	}
	defer model.Remove()
	defer func() {
		for _, dir := range temporaryDirs {
			_ = os.RemoveAll(dir)
		}
	}()
	installPagingCollector(inventory.PageSize)

	model.Service.Listen = &url.URL{Host: listen, User: url.UserPassword(inventory.User, inventory.Password)}
	model.Service.TLS = certs.server
	server := model.Service.NewServer()
	defer server.Close()

	ctx := context.Background()
	u := *server.URL
	u.User = url.UserPassword(inventory.User, inventory.Password)
	client, err := govmomi.NewClient(ctx, &u, true)
	if err != nil {
		return err
	}
	if err := build(ctx, client, inventory); err != nil {
		return fmt.Errorf("building the inventory: %w", err)
	}
	_ = client.Logout(ctx)
	// Latency only from here on, so that building the inventory stays fast.
	model.DelayConfig.Delay = inventory.DelayMs

	public := *server.URL
	public.User = nil
	ready, _ := json.Marshal(map[string]string{"url": public.String()})
	fmt.Println(string(ready))

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
	return nil
}

func hostOf(listen string) (string, error) {
	u, err := url.Parse("//" + listen)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("-listen %q is not address:port", listen)
	}
	return u.Hostname(), nil
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "vcsim: %v\n", err)
	time.Sleep(10 * time.Millisecond)
	os.Exit(1)
}
