package node

import "github.com/bixproject/bix/internal/gallery"

// ProbeTemplates checks and decodes finger images as Enroll and Identify
// do, runs quality assessment and extraction, and returns the usable
// templates as a probe with what became of each image. It searches nothing
// and logs nothing: it is for callers that send the templates elsewhere,
// such as a partner search (templates leave the node, never images). No
// usable image is an error wrapping ErrInvalid that gives the reasons.
func (n *Node) ProbeTemplates(fingers []FingerImage) ([]gallery.Sample, []SampleResult, error) {
	if err := decodeFingers(fingers); err != nil {
		return nil, nil, err
	}
	ex := n.extract(fingers)
	res := make([]SampleResult, len(ex))
	for i, e := range ex {
		res[i] = e.res
	}
	probe := probeOf(ex)
	if len(probe) == 0 {
		return nil, res, invalid("no usable finger image: %s", ftaReasons(ex))
	}
	return probe, res, nil
}
