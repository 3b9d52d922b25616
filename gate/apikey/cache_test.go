package apikey

import (
	"strconv"
	"sync"
	"testing"
	"time"
)

func testEntry(raw string, until time.Time) *entry {
	return &entry{raw: raw, v: &Verified{ID: "id-" + raw}, validUntil: until.UnixNano()}
}

func TestCacheKeepsEntriesUntilTheyAreNoLongerValid(t *testing.T) {
	c := newCache(64)
	now := time.Now()
	e := c.put(testEntry("a", now.Add(time.Second)), now)
	if got := c.get("a", now); got != e {
		t.Fatal("a cached entry is not found")
	}
	if c.get("a", now.Add(time.Second)) != nil {
		t.Fatal("an entry is found at its validUntil")
	}
	if c.get("b", now) != nil {
		t.Fatal("an entry never put is found")
	}
	// A concurrent miss's entry does not replace a valid one.
	if got := c.put(testEntry("a", now.Add(time.Hour)), now); got != e {
		t.Fatal("a second put replaced a valid entry")
	}
	// Once invalid it is replaced.
	later := now.Add(2 * time.Second)
	fresh := c.put(testEntry("a", later.Add(time.Second)), later)
	if fresh == e || c.get("a", later) != fresh {
		t.Fatal("an invalid entry was not replaced")
	}
	c.drop("id-a")
	if c.get("a", later) != nil {
		t.Fatal("a dropped entry is found")
	}
}

func TestCacheStaysBounded(t *testing.T) {
	c := newCache(cacheShards * 4)
	now := time.Now()
	for i := range 1000 {
		c.put(testEntry(strconv.Itoa(i), now.Add(time.Hour)), now)
	}
	if n := c.len(); n > cacheShards*4 {
		t.Fatalf("the cache holds %d entries, bound %d", n, cacheShards*4)
	}
	if c.get("999", now) == nil {
		t.Fatal("the newest entry was evicted")
	}
}

func TestCacheIsSafeForConcurrentUse(t *testing.T) {
	c := newCache(256)
	now := time.Now()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				raw := strconv.Itoa((w*500 + i) % 300)
				if c.get(raw, now) == nil {
					c.put(testEntry(raw, now.Add(time.Minute)), now)
				}
				if i%100 == 0 {
					c.drop("id-" + raw)
				}
			}
		}()
	}
	wg.Wait()
}

func TestCacheLookupAllocatesNothing(t *testing.T) {
	c := newCache(64)
	now := time.Now()
	c.put(testEntry("a", now.Add(time.Hour)), now)
	if n := testing.AllocsPerRun(1000, func() { c.get("a", now) }); n != 0 {
		t.Fatalf("a lookup allocates %v times", n)
	}
}
