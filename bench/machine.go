package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// Machine describes where a run took place.
type Machine struct {
	CPU        string // model name, from /proc/cpuinfo
	Cores      int
	MemoryGiB  float64 // MemTotal, from /proc/meminfo
	OS         string  // PRETTY_NAME of /etc/os-release, or GOOS
	Kernel     string
	Arch       string
	Go         string
	NATSServer string
	OtherLoad  string // the load average when the run started
}

// Describe reads the machine's description from /proc and the build.
func Describe() Machine {
	m := Machine{Cores: runtime.NumCPU(), Arch: runtime.GOARCH, Go: runtime.Version(), NATSServer: server.VERSION, OS: runtime.GOOS}
	m.CPU = procField("/proc/cpuinfo", "model name", ":")
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal", ":"), " kB"), 64); err == nil {
		m.MemoryGiB = kb / (1 << 20)
	}
	if s := procField("/etc/os-release", "PRETTY_NAME", "="); s != "" {
		m.OS = strings.Trim(s, `"`)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.OtherLoad = strings.Join(f[:3], " ")
		}
	}
	if m.CPU == "" {
		m.CPU = "unknown CPU"
	}
	return m
}

// procField returns the value of the first line of file whose key is key.
func procField(file, key, sep string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
