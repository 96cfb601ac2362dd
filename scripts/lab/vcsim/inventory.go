package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"strings"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

const gib = int64(1) << 30

// builder creates one datacenter's inventory through the SOAP API, as an
// administrator would, then sets what the API cannot (host hardware,
// datastore capacity, the template flag) on the simulator's objects.
type builder struct {
	ctx       context.Context
	client    *govmomi.Client
	folders   *object.DatacenterFolders
	vmFolders map[string]*object.Folder
	clusters  map[string]*object.ClusterComputeResource
	hosts     map[string]*object.HostSystem
	pools     map[string]*object.ResourcePool
	networks  map[string]types.BaseVirtualDeviceBackingInfo
	allHosts  []*object.HostSystem
	// Datastores and datastore clusters by name, kept from their creation: once a datastore is in a
	// datastore cluster, the simulator's finder sees it twice.
	datastoreRefs map[string]types.ManagedObjectReference
	podRefs       map[string]types.ManagedObjectReference
}

func build(ctx context.Context, client *govmomi.Client, m *model) error {
	root := object.NewRootFolder(client.Client)
	for _, spec := range m.Datacenters {
		dc, err := root.CreateDatacenter(ctx, spec.Name)
		if err != nil {
			return err
		}
		folders, err := dc.Folders(ctx)
		if err != nil {
			return err
		}
		b := &builder{
			ctx: ctx, client: client, folders: folders,
			vmFolders:     map[string]*object.Folder{"": folders.VmFolder},
			clusters:      map[string]*object.ClusterComputeResource{},
			hosts:         map[string]*object.HostSystem{},
			pools:         map[string]*object.ResourcePool{},
			networks:      map[string]types.BaseVirtualDeviceBackingInfo{},
			datastoreRefs: map[string]types.ManagedObjectReference{},
			podRefs:       map[string]types.ManagedObjectReference{},
		}
		steps := []func(*datacenter, *object.Datacenter) error{b.vmFolderTree, b.computeClusters, b.portGroups, b.datastores, b.machines, b.storageCapacity}
		for _, step := range steps {
			if err := step(&spec, dc); err != nil {
				return fmt.Errorf("datacenter %s: %w", spec.Name, err)
			}
		}
	}
	return nil
}

func (b *builder) vmFolderTree(dc *datacenter, _ *object.Datacenter) error {
	for _, p := range dc.Folders {
		if _, err := b.vmFolder(p); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) vmFolder(p string) (*object.Folder, error) {
	p = strings.Trim(p, "/")
	if f, ok := b.vmFolders[p]; ok {
		return f, nil
	}
	parent, err := b.vmFolder(parentOf(p))
	if err != nil {
		return nil, err
	}
	f, err := parent.CreateFolder(b.ctx, path.Base(p))
	if err != nil {
		return nil, fmt.Errorf("folder %s: %w", p, err)
	}
	b.vmFolders[p] = f
	return f, nil
}

func (b *builder) computeClusters(dc *datacenter, _ *object.Datacenter) error {
	for _, c := range dc.Clusters {
		cluster, err := b.folders.HostFolder.CreateCluster(b.ctx, c.Name, types.ClusterConfigSpecEx{})
		if err != nil {
			return fmt.Errorf("cluster %s: %w", c.Name, err)
		}
		b.clusters[c.Name] = cluster
		for _, h := range c.Hosts {
			task, err := cluster.AddHost(b.ctx, types.HostConnectSpec{HostName: h.Name}, true, nil, nil)
			if err != nil {
				return err
			}
			info, err := task.WaitForResult(b.ctx, nil)
			if err != nil {
				return fmt.Errorf("host %s: %w", h.Name, err)
			}
			ref := info.Result.(types.ManagedObjectReference)
			setHardware(ref, h)
			host := object.NewHostSystem(b.client.Client, ref)
			b.hosts[h.Name] = host
			b.allHosts = append(b.allHosts, host)
		}
		summarize(cluster.Reference())
		root, err := cluster.ResourcePool(b.ctx)
		if err != nil {
			return err
		}
		b.pools[c.Name] = root
		for _, p := range c.ResourcePools {
			if _, err := b.pool(c.Name, p); err != nil {
				return err
			}
		}
	}
	return nil
}

// pool returns the resource pool at path p under the cluster's root pool, creating what is missing.
func (b *builder) pool(clusterName, p string) (*object.ResourcePool, error) {
	key := clusterName + "/" + strings.Trim(p, "/")
	if p == "" {
		key = clusterName
	}
	if pool, ok := b.pools[key]; ok {
		return pool, nil
	}
	parent, err := b.pool(clusterName, parentOf(strings.Trim(p, "/")))
	if err != nil {
		return nil, err
	}
	pool, err := parent.Create(b.ctx, path.Base(p), types.DefaultResourceConfigSpec())
	if err != nil {
		return nil, fmt.Errorf("resource pool %s: %w", key, err)
	}
	b.pools[key] = pool
	return pool, nil
}

func (b *builder) portGroups(dc *datacenter, _ *object.Datacenter) error {
	if len(dc.PortGroups) == 0 {
		return nil
	}
	var spec types.DVSCreateSpec
	spec.ConfigSpec = &types.VMwareDVSConfigSpec{}
	spec.ConfigSpec.GetDVSConfigSpec().Name = dc.Name + "-dvs"
	task, err := b.folders.NetworkFolder.CreateDVS(b.ctx, spec)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(b.ctx, nil)
	if err != nil {
		return err
	}
	dvs := object.NewDistributedVirtualSwitch(b.client.Client, info.Result.(types.ManagedObjectReference))
	members := &types.DVSConfigSpec{}
	for _, h := range b.allHosts {
		members.Host = append(members.Host, types.DistributedVirtualSwitchHostMemberConfigSpec{Operation: string(types.ConfigSpecOperationAdd), Host: h.Reference()})
	}
	if task, err = dvs.Reconfigure(b.ctx, members); err != nil {
		return err
	}
	if err := task.Wait(b.ctx); err != nil {
		return err
	}
	for _, name := range dc.PortGroups {
		task, err := dvs.AddPortgroup(b.ctx, []types.DVPortgroupConfigSpec{{Name: name}})
		if err != nil {
			return err
		}
		if err := task.Wait(b.ctx); err != nil {
			return fmt.Errorf("port group %s: %w", name, err)
		}
	}
	return nil
}

func (b *builder) datastores(dc *datacenter, odc *object.Datacenter) error {
	pods := map[string]*object.StoragePod{}
	for _, name := range dc.DatastoreClusters {
		pod, err := b.folders.DatastoreFolder.CreateStoragePod(b.ctx, name)
		if err != nil {
			return fmt.Errorf("datastore cluster %s: %w", name, err)
		}
		pods[name] = pod
		b.podRefs[name] = pod.Reference()
	}
	finder := find.NewFinder(b.client.Client, false).SetDatacenter(odc)
	for _, d := range dc.Datastores {
		dir, err := os.MkdirTemp("", "herd-vcsim-"+d.Name+"-")
		if err != nil {
			return err
		}
		temporaryDirs = append(temporaryDirs, dir)
		for _, h := range b.allHosts {
			dss, err := h.ConfigManager().DatastoreSystem(b.ctx)
			if err != nil {
				return err
			}
			if _, err := dss.CreateLocalDatastore(b.ctx, d.Name, dir); err != nil {
				return fmt.Errorf("datastore %s: %w", d.Name, err)
			}
		}
		ds, err := finder.Datastore(b.ctx, d.Name)
		if err != nil {
			return err
		}
		mountOnAll(ds.Reference(), b.allHosts)
		b.datastoreRefs[d.Name] = ds.Reference()
		if d.DatastoreCluster != "" {
			pod, ok := pods[d.DatastoreCluster]
			if !ok {
				return fmt.Errorf("datastore %s: no datastore cluster %s in datastoreClusters", d.Name, d.DatastoreCluster)
			}
			task, err := pod.MoveInto(b.ctx, []types.ManagedObjectReference{ds.Reference()})
			if err != nil {
				return err
			}
			if err := task.Wait(b.ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// storageCapacity sets each datastore's capacity and free space once the VMs
// are there (the simulator takes their disks off the free space as they are
// created), then totals the datastore clusters.
func (b *builder) storageCapacity(dc *datacenter, _ *object.Datacenter) error {
	for _, d := range dc.Datastores {
		setCapacity(b.datastoreRefs[d.Name], d)
	}
	for _, ref := range b.podRefs {
		summarizePod(ref)
	}
	return nil
}

func (b *builder) machines(dc *datacenter, odc *object.Datacenter) error {
	finder := find.NewFinder(b.client.Client, false).SetDatacenter(odc)
	for _, spec := range dc.VMs {
		if err := b.machine(finder, spec); err != nil {
			return fmt.Errorf("vm %s: %w", spec.Name, err)
		}
	}
	return nil
}

func (b *builder) machine(finder *find.Finder, spec vm) error {
	folder, err := b.vmFolder(spec.Folder)
	if err != nil {
		return err
	}
	pool, err := b.pool(spec.Cluster, spec.ResourcePool)
	if err != nil {
		return err
	}
	var host *object.HostSystem
	if spec.Host != "" {
		if host = b.hosts[spec.Host]; host == nil {
			return fmt.Errorf("no host %s", spec.Host)
		}
	}
	ds, ok := b.datastoreRefs[spec.Datastore]
	if !ok {
		return fmt.Errorf("no datastore %s", spec.Datastore)
	}

	var devices object.VirtualDeviceList
	scsi, err := devices.CreateSCSIController("pvscsi")
	if err != nil {
		return err
	}
	devices = append(devices, scsi)
	for i, size := range spec.DisksGiB {
		disk := devices.CreateDisk(scsi.(types.BaseVirtualController), ds, fmt.Sprintf("[%s] %s/disk%d.vmdk", spec.Datastore, spec.Name, i))
		disk.CapacityInKB = size * gib / 1024
		devices = append(devices, disk)
	}
	if spec.Network != "" {
		backing, err := b.backing(finder, spec.Network)
		if err != nil {
			return err
		}
		nic, err := devices.CreateEthernetCard("vmxnet3", backing)
		if err != nil {
			return err
		}
		devices = append(devices, nic)
	}
	config := types.VirtualMachineConfigSpec{
		Name:     spec.Name,
		GuestId:  spec.GuestID,
		NumCPUs:  spec.CPU,
		MemoryMB: spec.MemoryMiB,
		Files:    &types.VirtualMachineFileInfo{VmPathName: fmt.Sprintf("[%s]", spec.Datastore)},
	}
	if config.DeviceChange, err = devices.ConfigSpec(types.VirtualDeviceConfigSpecOperationAdd); err != nil {
		return err
	}
	task, err := folder.CreateVM(b.ctx, config, pool, host)
	if err != nil {
		return err
	}
	info, err := task.WaitForResult(b.ctx, nil)
	if err != nil {
		return err
	}
	machine := object.NewVirtualMachine(b.client.Client, info.Result.(types.ManagedObjectReference))
	if spec.Snapshot {
		task, err := machine.CreateSnapshot(b.ctx, "herd-base", "the state linked clones start from", false, false)
		if err != nil {
			return err
		}
		if err := task.Wait(b.ctx); err != nil {
			return err
		}
	}
	if spec.PoweredOn {
		task, err := machine.PowerOn(b.ctx)
		if err != nil {
			return err
		}
		if err := task.Wait(b.ctx); err != nil {
			return err
		}
	}
	if spec.Template {
		markAsTemplate(machine.Reference())
	}
	return nil
}

func (b *builder) backing(finder *find.Finder, name string) (types.BaseVirtualDeviceBackingInfo, error) {
	if backing, ok := b.networks[name]; ok {
		return backing, nil
	}
	network, err := finder.Network(b.ctx, name)
	if err != nil {
		return nil, err
	}
	backing, err := network.EthernetCardBackingInfo(b.ctx)
	if err != nil {
		return nil, err
	}
	b.networks[name] = backing
	return backing, nil
}

// parentOf("a/b/c") is "a/b"; parentOf("a") is "", the root the path starts from.
func parentOf(p string) string {
	if parent := path.Dir(p); parent != "." {
		return parent
	}
	return ""
}

// temporaryDirs back the local datastores; main removes them on exit.
var temporaryDirs []string

// What follows sets state the SOAP API has no call for, directly on the simulator's objects.

func setHardware(ref types.ManagedObjectReference, h host) {
	obj := simulator.Map.Get(ref).(*simulator.HostSystem)
	simulator.Map.WithLock(obj, func() {
		hw := obj.Summary.Hardware
		hw.NumCpuCores, hw.NumCpuThreads, hw.CpuMhz, hw.MemorySize = h.CPUCores, h.CPUThreads, h.CPUMhz, h.MemoryMiB<<20
		obj.Hardware.CpuInfo.NumCpuCores, obj.Hardware.CpuInfo.NumCpuThreads = h.CPUCores, h.CPUThreads
		obj.Hardware.MemorySize = h.MemoryMiB << 20
		if h.Connected != nil && !*h.Connected {
			obj.Runtime.ConnectionState = types.HostSystemConnectionStateDisconnected
		}
		obj.Runtime.InMaintenanceMode = h.Maintenance
	})
}

// summarize totals a cluster's hosts as vCenter does (MHz over all cores; effective: connected, not in maintenance).
func summarize(ref types.ManagedObjectReference) {
	obj := simulator.Map.Get(ref).(*simulator.ClusterComputeResource)
	summary := &types.ClusterComputeResourceSummary{UsageSummary: new(types.ClusterUsageSummary)}
	for _, h := range obj.Host {
		host := simulator.Map.Get(h).(*simulator.HostSystem)
		hw := host.Summary.Hardware
		summary.NumHosts++
		summary.TotalCpu += hw.CpuMhz * int32(hw.NumCpuCores)
		summary.TotalMemory += hw.MemorySize
		summary.NumCpuCores += hw.NumCpuCores
		summary.NumCpuThreads += hw.NumCpuThreads
		if host.Runtime.ConnectionState == types.HostSystemConnectionStateConnected && !host.Runtime.InMaintenanceMode {
			summary.NumEffectiveHosts++
			summary.EffectiveCpu += hw.CpuMhz * int32(hw.NumCpuCores)
			summary.EffectiveMemory += hw.MemorySize >> 20
		}
	}
	simulator.Map.WithLock(obj, func() { obj.Summary = summary })
}

func setCapacity(ref types.ManagedObjectReference, d datastore) {
	obj := simulator.Map.Get(ref).(*simulator.Datastore)
	simulator.Map.WithLock(obj, func() {
		obj.Summary.Capacity, obj.Summary.FreeSpace = d.CapacityGiB*gib, d.FreeGiB*gib
		info := obj.Info.GetDatastoreInfo()
		info.FreeSpace, info.MaxFileSize = d.FreeGiB*gib, d.FreeGiB*gib
	})
}

// mountOnAll mounts a datastore on every host, as a shared datastore is: the
// simulator keeps one object per name, mounted only on the host that created it last.
func mountOnAll(ref types.ManagedObjectReference, hosts []*object.HostSystem) {
	obj := simulator.Map.Get(ref).(*simulator.Datastore)
	var mounts []types.DatastoreHostMount
	for _, h := range hosts {
		mounts = append(mounts, types.DatastoreHostMount{Key: h.Reference(), MountInfo: types.HostMountInfo{
			AccessMode: string(types.HostMountModeReadWrite), Mounted: types.NewBool(true), Accessible: types.NewBool(true),
		}})
	}
	simulator.Map.WithLock(obj, func() { obj.Host = mounts })
}

func summarizePod(ref types.ManagedObjectReference) {
	obj := simulator.Map.Get(ref).(*simulator.StoragePod)
	summary := &types.StoragePodSummary{Name: obj.Name}
	// The simulator's MoveIntoFolder appends a datastore cluster's children again on every move: count each once.
	seen := map[types.ManagedObjectReference]bool{}
	var children []types.ManagedObjectReference
	for _, child := range obj.ChildEntity {
		if seen[child] {
			continue
		}
		seen[child] = true
		children = append(children, child)
		ds := simulator.Map.Get(child).(*simulator.Datastore)
		summary.Capacity += ds.Summary.Capacity
		summary.FreeSpace += ds.Summary.FreeSpace
	}
	simulator.Map.WithLock(obj, func() { obj.Summary, obj.ChildEntity = summary, children })
}

func markAsTemplate(ref types.ManagedObjectReference) {
	obj := simulator.Map.Get(ref).(*simulator.VirtualMachine)
	simulator.Map.WithLock(obj, func() {
		obj.Config.Template = true
		obj.Summary.Config.Template = true
		obj.ResourcePool = nil
	})
}
