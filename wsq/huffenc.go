package wsq

import (
	"container/heap"
	"sort"
)

// Huffman table construction for the encoder (ISO/IEC 10918-1 Annex K.2,
// as the WSQ spec prescribes): code lengths from symbol frequencies, limited
// to 16 bits, with the all-ones code point left unused.

type huffNode struct {
	freq  int
	depth int // for a deterministic tie-break
	sym   int // leaf symbol, or -1
	l, r  *huffNode
}

type nodeHeap []*huffNode

func (h nodeHeap) Len() int { return len(h) }
func (h nodeHeap) Less(i, j int) bool {
	if h[i].freq != h[j].freq {
		return h[i].freq < h[j].freq
	}
	return h[i].depth < h[j].depth
}
func (h nodeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)   { *h = append(*h, x.(*huffNode)) }
func (h *nodeHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// buildHuffSpec returns the table for the symbol frequencies freq (symbols
// 0..255 with freq > 0 get codes).
func buildHuffSpec(freq *[256]int) huffSpec {
	const reserved = 256 // stands for the all-ones code point
	h := &nodeHeap{}
	for s, f := range freq {
		if f > 0 {
			*h = append(*h, &huffNode{freq: f, sym: s})
		}
	}
	*h = append(*h, &huffNode{freq: 1, sym: reserved})
	heap.Init(h)
	for h.Len() > 1 {
		a := heap.Pop(h).(*huffNode)
		b := heap.Pop(h).(*huffNode)
		heap.Push(h, &huffNode{freq: a.freq + b.freq, depth: max(a.depth, b.depth) + 1, sym: -1, l: a, r: b})
	}
	size := map[int]int{}
	var walk func(n *huffNode, d int)
	walk = func(n *huffNode, d int) {
		if n.sym >= 0 {
			size[n.sym] = max(d, 1)
			return
		}
		walk(n.l, d+1)
		walk(n.r, d+1)
	}
	walk(heap.Pop(h).(*huffNode), 0)

	// BITS[l] = number of codes of length l, then Annex K.3's adjustment
	// to at most 16 bits.
	bitsN := make([]int, 300)
	maxLen := 0
	for _, l := range size {
		bitsN[l]++
		maxLen = max(maxLen, l)
	}
	for i := maxLen; i > 16; i-- {
		for bitsN[i] > 0 {
			j := i - 2
			for bitsN[j] == 0 {
				j--
			}
			bitsN[i] -= 2
			bitsN[i-1]++
			bitsN[j+1] += 2
			bitsN[j]--
		}
	}
	// Drop the reserved code point from the longest length.
	i := 16
	for bitsN[i] == 0 {
		i--
	}
	bitsN[i]--

	// Symbols ordered by their unlimited code length, then value; the
	// reserved symbol sorts last at its length and is left out.
	syms := make([]int, 0, len(size))
	for s := range size {
		syms = append(syms, s)
	}
	sort.Slice(syms, func(a, b int) bool {
		if size[syms[a]] != size[syms[b]] {
			return size[syms[a]] < size[syms[b]]
		}
		return syms[a] < syms[b]
	})
	var s huffSpec
	for l := 1; l <= 16; l++ {
		s.counts[l-1] = uint8(bitsN[l])
	}
	for _, v := range syms {
		if v != reserved {
			s.values = append(s.values, uint8(v))
		}
	}
	return s
}

// huffEncoder maps symbols to canonical codes.
type huffEncoder struct {
	code [256]uint16
	size [256]uint8
}

func newHuffEncoder(s huffSpec) *huffEncoder {
	e := &huffEncoder{}
	code, k := uint16(0), 0
	for l := 1; l <= 16; l++ {
		for i := 0; i < int(s.counts[l-1]); i++ {
			e.code[s.values[k]] = code
			e.size[s.values[k]] = uint8(l)
			code++
			k++
		}
		code <<= 1
	}
	return e
}

// bitWriter packs bits most significant first, stuffing a zero byte after
// every 0xFF (spec §B.3).
type bitWriter struct {
	out []byte
	acc uint64
	n   uint
}

func (w *bitWriter) write(v uint32, k uint) {
	w.acc = w.acc<<k | uint64(v)&(1<<k-1)
	w.n += k
	for w.n >= 8 {
		b := byte(w.acc >> (w.n - 8))
		w.out = append(w.out, b)
		if b == 0xFF {
			w.out = append(w.out, 0)
		}
		w.n -= 8
	}
	w.acc &= 1<<w.n - 1
}

// flush pads the last byte with one bits.
func (w *bitWriter) flush() {
	if w.n > 0 {
		w.write(1<<(8-w.n)-1, 8-w.n)
	}
}

// symbol is one coded unit of a block: a Huffman symbol and its extra bits.
type symbol struct {
	sym   uint8
	extra uint16
	nbits uint8
}

// symbols turns a block's quantized coefficients into symbols (spec Table
// B.5): zero runs 1..100 directly, longer runs by escape 105 (8-bit length)
// or 106 (16-bit); values -73..74 as 180+v, others by escapes 101..104.
func symbols(coef []int16) []symbol {
	var out []symbol
	run := 0
	flush := func() {
		for run > 0 {
			switch {
			case run <= 100:
				out = append(out, symbol{sym: uint8(run)})
				run = 0
			case run <= 0xFF:
				out = append(out, symbol{sym: 105, extra: uint16(run), nbits: 8})
				run = 0
			default:
				n := min(run, 0xFFFF)
				out = append(out, symbol{sym: 106, extra: uint16(n), nbits: 16})
				run -= n
			}
		}
	}
	for _, c := range coef {
		if c == 0 {
			run++
			continue
		}
		flush()
		v := int(c)
		switch {
		case v >= -73 && v <= 74:
			out = append(out, symbol{sym: uint8(180 + v)})
		case v > 0 && v <= 0xFF:
			out = append(out, symbol{sym: 101, extra: uint16(v), nbits: 8})
		case v < 0 && v >= -0xFF:
			out = append(out, symbol{sym: 102, extra: uint16(-v), nbits: 8})
		case v > 0:
			out = append(out, symbol{sym: 103, extra: uint16(v), nbits: 16})
		default:
			out = append(out, symbol{sym: 104, extra: uint16(-v), nbits: 16})
		}
	}
	flush()
	return out
}
