// Package fvc runs the Fingerprint Verification Competition protocol (Maio,
// Maltoni, Cappelli, Wayman and Jain, "FVC2002: Second Fingerprint
// Verification Competition", ICPR 2002) on a folder of FVC-style files
// F_I.ext (finger F, impression I) and computes its error rates: EER, FNMR
// at FMR 1 % and 0.1 % and at zero FMR. It accepts images (given an
// extractor) or minutiae templates (ISO/IEC 19794-2 .iso, ANSI INCITS 378
// .ansi, bix .bixf, NBIS .xyt).
package fvc

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Item is one impression file.
type Item struct {
	Finger     string // F of F_I.ext
	Impression int    // I of F_I.ext
	Path       string
}

// ParseName splits an FVC file name "F_I.ext" into finger F and impression
// I (a positive integer); ok is false for other names.
func ParseName(name string) (finger string, impression int, ok bool) {
	base := strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	i := strings.LastIndexByte(base, '_')
	if i <= 0 || i == len(base)-1 {
		return "", 0, false
	}
	n, err := strconv.Atoi(base[i+1:])
	if err != nil || n <= 0 {
		return "", 0, false
	}
	return base[:i], n, true
}

// Scan lists the FVC-named files in dir whose extension is ext (".iso",
// compared case-insensitively), sorted by finger then impression.
func Scan(dir, ext string) ([]Item, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, e := range ents {
		if e.IsDir() || !strings.EqualFold(filepath.Ext(e.Name()), ext) {
			continue
		}
		f, n, ok := ParseName(e.Name())
		if !ok {
			continue
		}
		items = append(items, Item{Finger: f, Impression: n, Path: filepath.Join(dir, e.Name())})
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].Finger != items[j].Finger {
			return items[i].Finger < items[j].Finger
		}
		return items[i].Impression < items[j].Impression
	})
	return items, nil
}

// Pair is a comparison of items A and B (indices into the item list, A < B).
type Pair struct{ A, B int }

// Genuine returns every pair of impressions of the same finger (FVC: 28 per
// finger of 8 impressions).
func Genuine(items []Item) []Pair {
	var ps []Pair
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if items[i].Finger == items[j].Finger {
				ps = append(ps, Pair{i, j})
			}
		}
	}
	return ps
}

// ImpostorFVC returns the FVC impostor pairs: the first impression of each
// finger against the first impression of every other finger.
func ImpostorFVC(items []Item) []Pair {
	first := map[string]int{}
	var order []string
	for i, it := range items {
		if j, ok := first[it.Finger]; !ok || it.Impression < items[j].Impression {
			if !ok {
				order = append(order, it.Finger)
			}
			first[it.Finger] = i
		}
	}
	var ps []Pair
	for i, f := range order {
		for _, g := range order[i+1:] {
			a, b := first[f], first[g]
			if a > b {
				a, b = b, a
			}
			ps = append(ps, Pair{a, b})
		}
	}
	return ps
}

// ImpostorAll returns every pair of impressions of different fingers.
func ImpostorAll(items []Item) []Pair {
	var ps []Pair
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if items[i].Finger != items[j].Finger {
				ps = append(ps, Pair{i, j})
			}
		}
	}
	return ps
}

// errNoFiles reports an empty data set.
func errNoFiles(dir, ext string) error {
	return fmt.Errorf("%s: no FVC-named F_I%s files", dir, ext)
}
