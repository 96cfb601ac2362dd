package main

import (
	"encoding/json"
	"fmt"
	"os"
)

// The inventory a test asks for, in the names its environment file uses.
// Sizes are in the units an operator reads (GiB, MiB, MHz).
type model struct {
	User        string       `json:"user"`
	Password    string       `json:"password"`
	PageSize    int          `json:"pageSize"`
	DelayMs     int          `json:"delayMs"`
	Datacenters []datacenter `json:"datacenters"`
}

type datacenter struct {
	Name string `json:"name"`
	// VM folders to create under the datacenter's VM folder, as paths ("kubernetes", "templates/linux").
	Folders           []string    `json:"folders"`
	Clusters          []cluster   `json:"clusters"`
	DatastoreClusters []string    `json:"datastoreClusters"`
	Datastores        []datastore `json:"datastores"`
	PortGroups        []string    `json:"portGroups"`
	VMs               []vm        `json:"vms"`
}

type cluster struct {
	Name  string `json:"name"`
	Hosts []host `json:"hosts"`
	// Resource pools under the cluster's root pool, as paths ("kubernetes", "teams/a").
	ResourcePools []string `json:"resourcePools"`
}

type host struct {
	Name        string `json:"name"`
	CPUCores    int16  `json:"cpuCores"`
	CPUThreads  int16  `json:"cpuThreads"`
	CPUMhz      int32  `json:"cpuMhz"`
	MemoryMiB   int64  `json:"memoryMiB"`
	Connected   *bool  `json:"connected"`
	Maintenance bool   `json:"maintenance"`
}

type datastore struct {
	Name             string `json:"name"`
	CapacityGiB      int64  `json:"capacityGiB"`
	FreeGiB          int64  `json:"freeGiB"`
	DatastoreCluster string `json:"datastoreCluster"`
}

type vm struct {
	Name         string  `json:"name"`
	Folder       string  `json:"folder"`
	Cluster      string  `json:"cluster"`
	Host         string  `json:"host"`
	ResourcePool string  `json:"resourcePool"`
	Datastore    string  `json:"datastore"`
	Network      string  `json:"network"`
	GuestID      string  `json:"guestId"`
	CPU          int32   `json:"cpu"`
	MemoryMiB    int64   `json:"memoryMiB"`
	DisksGiB     []int64 `json:"disksGiB"`
	Template     bool    `json:"template"`
	Snapshot     bool    `json:"snapshot"`
	PoweredOn    bool    `json:"poweredOn"`
}

func readModel(path string) (*model, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m model
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.User == "" || m.Password == "" {
		return nil, fmt.Errorf("%s: user and password are required", path)
	}
	return &m, nil
}
