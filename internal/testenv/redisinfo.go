package testenv

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// RedisStats is what a redis-server reports of its own work, from INFO:
// commands by name, memory in use and CPU time spent. Take two and
// subtract (Since) to learn what happened between them.
type RedisStats struct {
	// Calls maps a command name (lower case, as in INFO commandstats,
	// e.g. "hgetall", "evalsha") to how many times it ran.
	Calls map[string]int64
	// Usec maps a command name to the time Redis spent running it, as
	// INFO commandstats's usec: a script's own includes the commands it
	// ran, which also count under their names.
	Usec map[string]int64
	// UsedMemory is used_memory in bytes.
	UsedMemory int64
	// ClientsMemory is mem_clients_normal: what the connections' buffers
	// hold. Printed beside UsedMemory, since Redis resizes these buffers
	// on its own timer, which moves UsedMemory without any data.
	ClientsMemory int64
	// CPU is used_cpu_sys plus used_cpu_user.
	CPU time.Duration
	// CPUSys is used_cpu_sys alone: the kernel's part of CPU, the system
	// calls that read commands and write replies among it.
	CPUSys time.Duration
	// Reads and Writes are total_reads_processed and
	// total_writes_processed: the socket reads and writes Redis made,
	// each a system call. Fewer of them for the same commands means
	// clients sent their commands in shared batches.
	Reads, Writes int64
	// NetIn and NetOut are total_net_input_bytes and
	// total_net_output_bytes: what clients sent and what Redis answered,
	// replies and pub/sub messages included.
	NetIn, NetOut int64
}

// Stats reads the server's INFO commandstats, memory, cpu and stats
// sections.
// The INFO command itself is left out of Calls.
func (r *Redis) Stats(t testing.TB) RedisStats {
	t.Helper()
	text, err := redisInfo(r.Addr)
	if err != nil {
		t.Fatalf("reading INFO from redis-server: %v", err)
	}
	st := RedisStats{Calls: map[string]int64{}, Usec: map[string]int64{}}
	var cpu, sys float64
	for _, line := range strings.Split(text, "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(name, "cmdstat_"):
			cmd := strings.TrimPrefix(name, "cmdstat_")
			if cmd == "info" {
				continue
			}
			for _, field := range strings.Split(value, ",") {
				if n, ok := strings.CutPrefix(field, "calls="); ok {
					st.Calls[cmd], _ = strconv.ParseInt(n, 10, 64)
				}
				if n, ok := strings.CutPrefix(field, "usec="); ok {
					st.Usec[cmd], _ = strconv.ParseInt(n, 10, 64)
				}
			}
		case name == "used_memory":
			st.UsedMemory, _ = strconv.ParseInt(value, 10, 64)
		case name == "mem_clients_normal":
			st.ClientsMemory, _ = strconv.ParseInt(value, 10, 64)
		case name == "total_reads_processed":
			st.Reads, _ = strconv.ParseInt(value, 10, 64)
		case name == "total_writes_processed":
			st.Writes, _ = strconv.ParseInt(value, 10, 64)
		case name == "total_net_input_bytes":
			st.NetIn, _ = strconv.ParseInt(value, 10, 64)
		case name == "total_net_output_bytes":
			st.NetOut, _ = strconv.ParseInt(value, 10, 64)
		case name == "used_cpu_sys" || name == "used_cpu_user":
			f, _ := strconv.ParseFloat(value, 64)
			cpu += f
			if name == "used_cpu_sys" {
				sys = f
			}
		}
	}
	st.CPU = time.Duration(cpu * float64(time.Second))
	st.CPUSys = time.Duration(sys * float64(time.Second))
	return st
}

// Since returns what changed from before to s: calls, memory, CPU and
// socket reads and writes as differences.
func (s RedisStats) Since(before RedisStats) RedisStats {
	return RedisStats{Calls: countsSince(s.Calls, before.Calls), Usec: countsSince(s.Usec, before.Usec),
		UsedMemory: s.UsedMemory - before.UsedMemory, ClientsMemory: s.ClientsMemory - before.ClientsMemory,
		CPU: s.CPU - before.CPU, CPUSys: s.CPUSys - before.CPUSys, Reads: s.Reads - before.Reads, Writes: s.Writes - before.Writes,
		NetIn: s.NetIn - before.NetIn, NetOut: s.NetOut - before.NetOut}
}

// countsSince returns the per-command differences from before to now,
// leaving out the commands that did not change.
func countsSince(now, before map[string]int64) map[string]int64 {
	d := map[string]int64{}
	for cmd, n := range now {
		if n -= before[cmd]; n != 0 {
			d[cmd] = n
		}
	}
	return d
}

// Total returns the number of calls of every command.
func (s RedisStats) Total() int64 {
	var n int64
	for _, c := range s.Calls {
		n += c
	}
	return n
}

// String lists the calls, most frequent first, then memory, CPU and
// socket reads and writes.
func (s RedisStats) String() string {
	cmds := make([]string, 0, len(s.Calls))
	for c := range s.Calls {
		cmds = append(cmds, c)
	}
	sort.Slice(cmds, func(i, j int) bool {
		if s.Calls[cmds[i]] != s.Calls[cmds[j]] {
			return s.Calls[cmds[i]] > s.Calls[cmds[j]]
		}
		return cmds[i] < cmds[j]
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%d commands (", s.Total())
	for i, c := range cmds {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s=%d", c, s.Calls[c])
	}
	fmt.Fprintf(&b, "), memory %+d B (connections %+d B), cpu %v (%v in the kernel), socket reads %d, writes %d, bytes in %d, out %d",
		s.UsedMemory, s.ClientsMemory, s.CPU, s.CPUSys, s.Reads, s.Writes, s.NetIn, s.NetOut)
	return b.String()
}

// redisInfo sends INFO for the sections used by Stats and returns the
// bulk reply.
func redisInfo(addr string) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("INFO commandstats memory cpu stats\r\n")); err != nil {
		return "", err
	}
	br := bufio.NewReader(conn)
	head, err := br.ReadString('\n')
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(head, "$") {
		return "", fmt.Errorf("unexpected INFO reply %q", strings.TrimSpace(head))
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil {
		return "", fmt.Errorf("INFO reply length %q: %w", head, err)
	}
	buf := make([]byte, n+2)
	if _, err := io.ReadFull(br, buf); err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}
