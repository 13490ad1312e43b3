package ansinist

import (
	"strconv"
	"strings"
)

// xmlRecordElements names the package element of each record type in the
// 2008 XML schema (SP 500-290 Rev1 Annex C; itl namespace).
var xmlRecordElements = map[int]string{
	1: "itl:PackageInformationRecord", 2: "itl:PackageDescriptiveTextRecord",
	3: "itl:PackageLowResolutionGrayscaleImageRecord", 4: "itl:PackageHighResolutionGrayscaleImageRecord",
	5: "itl:PackageLowResolutionBinaryImageRecord", 6: "itl:PackageHighResolutionBinaryImageRecord",
	7: "itl:PackageUserDefinedImageRecord", 8: "itl:PackageSignatureImageRecord",
	9: "itl:PackageMinutiaeRecord", 10: "itl:PackageFacialAndSMTImageRecord",
	13: "itl:PackageLatentImageRecord", 14: "itl:PackageFingerprintImageRecord",
	15: "itl:PackagePalmprintImageRecord", 16: "itl:PackageUserDefinedTestingImageRecord",
	17: "itl:PackageIrisImageRecord", 99: "itl:PackageCBEFFBiometricDataRecord",
}

// xmlMapping maps one field of some record types to NIEM elements.
//
// The table below is written one mapping per line:
//
//	TYPES NUM CONV PATH[*] [{ITEM, ITEM, ...}] [; REST-PATH* {ITEM, ...}]
//
// TYPES is a comma-separated list of record types; NUM the field number; CONV
// a value conversion applied to every item (- none, date YYYYMMDD↔YYYY-MM-DD,
// gmt YYYYMMDDhhmmssZ↔xs:dateTime, bool 0/1↔false/true, fmt S/U↔true/false,
// b64 binary↔base64, fgp/plp a finger/palm position code (palm: 20–38), ver "0400"↔"04","00", xy "XXXXYYYY"↔X,Y; and the
// element-level codecs of xml.go: mrc for 9.012, vec and sig for Type-8
// data, aseg for 14.025). A field may have several lines; the first that can
// represent the value is used. PATH is
// relative to the record element; "$img" stands for the record's image
// element, "$pos" for its position element (finger or palm) and "$q" for its
// quality element. A '*' after PATH repeats its last element once per
// subfield (the k-th subfield reuses the k-th such element if an earlier
// field made it); without '*' the field has one subfield. ITEMs are paths
// under that element, one per information item, optionally "N=" to give the
// item's 1-based index when the XML order differs; a trailing '+' on the
// last ITEM takes all remaining items; with no ITEM list the element's text
// is the single item. "; REST..." gives a different PATH and ITEMs for the
// subfields after the first (used by CNT).
type xmlMapping struct {
	types    []int
	num      int
	conv     string
	path     string
	repeat   bool
	reuse    bool // PATH had "*/": items live under a sub-path of an element another field made
	items    []xmlItem
	restPath string
	rest     []xmlItem
}

type xmlItem struct {
	index int // 0-based information item index
	path  string
	more  bool // takes all remaining items
}

const xmlTable = `
1 5 date an:Transaction/an:TransactionDate/nc:Date
1 7 - an:Transaction/an:TransactionDestinationOrganization/nc:OrganizationIdentification/nc:IdentificationID
1 8 - an:Transaction/an:TransactionOriginatingOrganization/nc:OrganizationIdentification/nc:IdentificationID
1 14 gmt an:Transaction/an:TransactionUTCDate/nc:DateTime
1 9 - an:Transaction/an:TransactionControlIdentification/nc:IdentificationID
1 10 - an:Transaction/an:TransactionControlReferenceIdentification/nc:IdentificationID
1 13 - an:Transaction/an:TransactionDomain {2=an:DomainVersionNumberIdentification/nc:IdentificationID, 1=an:OrganizationName}
1 11 - an:Transaction/an:TransactionImageResolutionDetails/an:NativeScanningResolutionValue
1 12 - an:Transaction/an:TransactionImageResolutionDetails/an:NominalTransmittingResolutionValue
1 2 ver an:Transaction {an:TransactionMajorVersionValue, an:TransactionMinorVersionValue}
1 6 - an:Transaction/an:TransactionPriorityValue
1 4 - an:Transaction/an:TransactionCategoryCode
1 3 - an:Transaction/an:TransactionContentSummary {an:ContentFirstRecordCategoryCode, an:ContentRecordCount} ; an:Transaction/an:TransactionContentSummary/an:ContentRecordSummary* {2=an:ImageReferenceIdentification/nc:IdentificationID, 1=an:RecordCategoryCode}
1 15 - an:Transaction/an:TransactionCharacterSetDirectory* {2=an:CharacterSetCommonNameCode, 1=an:CharacterSetIndexCode, 3=an:CharacterSetVersionIdentification/nc:IdentificationID}
2,3,4,5,6,7,8,9,10,13,14,15,16,17,99 2 - an:ImageReferenceIdentification/nc:IdentificationID
3,4,5,6 9 b64 $img/nc:BinaryBase64Object
3,4,5,6 5 - $img/an:ImageCaptureDetail/an:CaptureResolutionCode
3,4,5,6 8 - $img/an:ImageCompressionAlgorithmCode
3,4,5,6 6 - $img/an:ImageHorizontalLineLengthPixelQuantity
3,4,5,6 7 - $img/an:ImageVerticalLineLengthPixelQuantity
3,4,5,6 4 - $img/an:FingerprintImagePosition/an:FingerPositionCode*
3,4,5,6 3 - $img/an:FingerprintImageImpressionCaptureCategoryCode
7 3 b64 an:RecordImage
8 8 sig $img/nc:BinaryBase64Object
8 5 - $img/an:ImageCaptureDetail/an:CaptureResolutionCode
8 6 - $img/an:ImageHorizontalLineLengthPixelQuantity
8 7 - $img/an:ImageVerticalLineLengthPixelQuantity
8 8 vec $img/an:SignatureImageVectorRepresentation
8 4 - $img/an:SignatureRepresentationCode
8 3 - $img/an:SignatureCategoryCode
9 3 - an:MinutiaeImpressionCaptureCategoryCode
9 4 fmt an:MinutiaeFormatNISTStandardIndicator
9 12 mrc itl:Minutiae/itl:MinutiaeNISTStandard/itl:MinutiaDetail*
9 10 - itl:Minutiae/itl:MinutiaeNISTStandard/an:MinutiaeQuantity
9 5 - itl:Minutiae/itl:MinutiaeNISTStandard/an:MinutiaeReadingSystem {2=an:ReadingSystemCodingMethodCode, 1=an:ReadingSystemName, 3=an:ReadingSystemSubsystemIdentification/nc:IdentificationID}
9 11 bool itl:Minutiae/itl:MinutiaeNISTStandard/an:MinutiaeRidgeCountIndicator
9 8 xy itl:Minutiae/an:MinutiaeFingerCorePosition* {an:PositionHorizontalCoordinateValue, an:PositionVerticalCoordinateValue}
9 9 xy itl:Minutiae/an:MinutiaeFingerDeltaPosition* {an:PositionHorizontalCoordinateValue, an:PositionVerticalCoordinateValue}
9 7 - itl:Minutiae/itl:MinutiaeFingerPatternDetail* {itl:FingerPatternCodeSourceCode, an:FingerPatternCode}
9 6 fgp itl:Minutiae/an:MinutiaeFingerPositionCode*
9 6 plp itl:Minutiae/an:MinutiaePalmPositionCode*
10,13,14,15,16,17,99 999 b64 $img/nc:BinaryBase64Object
16 3 - $img/nc:BinaryDescriptionText
13,14,15,16,17 12 - $img/an:ImageBitsPerPixelQuantity
10,13,14,15,16,17 5 date $img/an:ImageCaptureDetail/an:CaptureDate/nc:Date
99 5 gmt $img/an:ImageCaptureDetail/an:CaptureDate/nc:DateTime
10 16 - $img/an:ImageCaptureDetail/an:CaptureHorizontalPixelDensityValue
13,14,15,16 16 - $img/an:ImageCaptureDetail/an:CaptureHorizontalPixelDensityValue
17 22 - $img/an:ImageCaptureDetail/an:CaptureHorizontalPixelDensityValue
10,13,14,15,16,17,99 4 - $img/an:ImageCaptureDetail/an:CaptureOrganization/nc:OrganizationIdentification/nc:IdentificationID
10 17 - $img/an:ImageCaptureDetail/an:CaptureVerticalPixelDensityValue
13,14,15,16 17 - $img/an:ImageCaptureDetail/an:CaptureVerticalPixelDensityValue
17 23 - $img/an:ImageCaptureDetail/an:CaptureVerticalPixelDensityValue
10,14,15,16,17 30 - $img/an:ImageCaptureDetail/an:CaptureDeviceMonitoringModeCode
10 12 - $img/an:ImageColorSpaceCode
16,17 13 - $img/an:ImageColorSpaceCode
13,14,15,16 20 - $img/an:ImageCommentText
17 21 - $img/an:ImageCommentText
10,13,14,15,16,17 11 - $img/an:ImageCompressionAlgorithmText
10,13,14,15,16,17 6 - $img/an:ImageHorizontalLineLengthPixelQuantity
10,13,14,15,16,17 9 - $img/an:ImageHorizontalPixelDensityValue
10 24 - $img/an:ImageQuality* {an:QualityValue, an:QualityMeasureVendorIdentification/nc:IdentificationID, an:QualityAlgorithmProductIdentification/nc:IdentificationID}
16,17 24 - $img/an:ImageQuality* {an:QualityValue, an:QualityMeasureVendorIdentification/nc:IdentificationID, an:QualityAlgorithmProductIdentification/nc:IdentificationID}
99 102 - $img/an:ImageQuality* {an:QualityValue, an:QualityMeasureVendorIdentification/nc:IdentificationID, an:QualityAlgorithmProductIdentification/nc:IdentificationID}
10,13,14,15,16,17 8 - $img/an:ImageScaleUnitsCode
10 3 - $img/an:ImageCategoryCode
10,13,14,15,16,17 7 - $img/an:ImageVerticalLineLengthPixelQuantity
10,13,14,15,16,17 10 - $img/an:ImageVerticalPixelDensityValue
10 25 - $img/an:FaceImage3DPoseAngle {an:PoseYawAngleMeasure, an:PosePitchAngleMeasure, an:PoseRollAngleMeasure, an:PoseYawUncertaintyValue, an:PosePitchUncertaintyValue, an:PoseRollUncertaintyValue}
10 13 - $img/an:FaceImageAcquisitionProfileCode
10 22 - $img/an:FaceImageAttribute* {an:FaceImageAttributeCode, an:FaceImageAttributeText}
10 26 - $img/an:FaceImageDescriptionCode*
10 27 - $img/an:FaceImageEyeColorAttributeCode
10 29 - $img/an:FaceImageFeaturePoint* {3=an:FeaturePointHorizontalCoordinateValue, 2=an:FeaturePointIdentification/nc:IdentificationID, 1=an:FeaturePointCategoryCode, 4=an:FeaturePointVerticalCoordinateValue}
10 28 - $img/an:FaceImageHairColorAttributeCode*
10 21 - $img/an:FaceImagePoseOffsetAngleMeasure
10 20 - $img/an:FaceImageSubjectPoseCode
10 23 - $img/itl:FaceImageAcquisitionSource {an:CaptureSourceCode, itl:CaptureSourceDescriptionText}
10 42 - $img/an:PhysicalFeatureDescriptionDetail* {an:PhysicalFeatureCategoryCode, an:PhysicalFeatureClassCode, an:PhysicalFeatureSubClassCode, an:PhysicalFeatureDescriptionText}
10 43 - $img/an:PhysicalFeatureDescriptionDetail*/an:PhysicalFeatureColorDetail {an:PhysicalFeaturePrimaryColorCode, an:PhysicalFeatureSecondaryColorCode+}
10 40 - $img/an:PhysicalFeatureNCICCode*
10 41 - $img/an:PhysicalFeatureSize {an:PhysicalFeatureHeightMeasure, an:PhysicalFeatureWidthMeasure}
13,14,15 3 - $img/an:FingerprintImageImpressionCaptureCategoryCode
13,14,15 13 - $img/$pos*
13,14 14 - $img/an:FingerprintImageMajorCasePrint {an:FingerPositionCode, an:MajorCasePrintCode}
13,14 15 - $img/an:FingerprintImageMajorCasePrint/an:MajorCasePrintSegmentOffset* {6=an:SegmentBottomVerticalCoordinateValue, 2=an:SegmentLocationCode, 1=an:SegmentFingerViewCode, 3=an:SegmentLeftHorizontalCoordinateValue, 4=an:SegmentRightHorizontalCoordinateValue, 5=an:SegmentTopVerticalCoordinateValue}
14 22 - $img/an:FingerprintImageNISTQuality* {an:FingerPositionCode, an:NISTQualityMeasure}
13,14,15 24 - $img/$q* {$pos, 3=an:QualityAlgorithmProductIdentification/nc:IdentificationID, 4=an:QualityAlgorithmVendorIdentification/nc:IdentificationID, 2=an:QualityValue}
14 18 - $img/itl:FingerprintImageFingerMissing* {an:FingerPositionCode, itl:FingerMissingCode}
14 21 - $img/itl:FingerprintImageSegmentPositionSquare* {1=an:FingerPositionCode, 5=an:SegmentBottomVerticalCoordinateValue, 2=an:SegmentLeftHorizontalCoordinateValue, 3=an:SegmentRightHorizontalCoordinateValue, 4=an:SegmentTopVerticalCoordinateValue}
14 25 aseg $img/itl:FingerprintImageSegmentPositionPolygon*
14 23 - $img/an:FingerprintImageSegmentationQuality* {an:FingerPositionCode, 3=an:QualityAlgorithmProductIdentification/nc:IdentificationID, 4=an:QualityAlgorithmVendorIdentification/nc:IdentificationID, 2=an:QualityValue}
17 3 - $img/an:IrisEyePositionCode
17 14 - $img/an:IrisEyeRotationAngleMeasure
17 15 - $img/an:IrisEyeRotationUncertaintyValueText
17 18 - $img/an:IrisImageCapture/an:CaptureDeviceGlobalIdentification/nc:IdentificationID
17 17 - $img/an:IrisImageCapture/an:CaptureDeviceIdentification/nc:IdentificationID
17 19 - $img/an:IrisImageCapture {an:CaptureDeviceMakeText, an:CaptureDeviceModelText, an:CaptureDeviceSerialNumberText}
17 16 - $img/an:IrisImageCapture {an:IrisImageHorizontalOrientationCode, 3=an:IrisImageScanCategoryCode, 2=an:IrisImageVerticalOrientationCode}
17 20 - $img/an:IrisEyeColorAttributeCode
17 25 - $img/an:IrisImageAcquisitionLightingSpectrumValue
17 26 - $img/itl:IrisDiameterPixelQuantity
99 103 - $img/an:CBEFFFormatOwnerIdentification/nc:IdentificationID
99 104 - $img/an:CBEFFFormatCategoryIdentification/nc:IdentificationID
99 100 - $img/an:CBEFFVersionIdentification/nc:IdentificationID
99 101 - $img/an:CBEFFCategoryCode
`

// xmlMappings holds the parsed table, in table (XML output) order.
var xmlMappings = parseXMLTable(xmlTable)

func parseXMLTable(s string) []xmlMapping {
	var out []xmlMapping
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		f := strings.SplitN(line, " ", 4)
		var m xmlMapping
		for _, t := range strings.Split(f[0], ",") {
			n, err := strconv.Atoi(t)
			if err != nil {
				panic("ansinist: xml table: " + line)
			}
			m.types = append(m.types, n)
		}
		m.num, _ = strconv.Atoi(f[1])
		m.conv = f[2]
		spec, rest, hasRest := strings.Cut(f[3], " ; ")
		m.path, m.repeat, m.items = parseXMLSpec(spec)
		m.reuse = strings.Contains(spec, "*/")
		if hasRest {
			m.restPath, _, m.rest = parseXMLSpec(rest)
		}
		out = append(out, m)
	}
	return out
}

func parseXMLSpec(s string) (path string, repeat bool, items []xmlItem) {
	path, list, _ := strings.Cut(s, " {")
	path = strings.TrimSpace(path)
	path, sub, _ := strings.Cut(path, "*/")
	if strings.HasSuffix(path, "*") || sub != "" {
		repeat = true
		path = strings.TrimSuffix(path, "*")
	}
	defer func() {
		if sub != "" {
			for i := range items {
				if items[i].path == "." {
					items[i].path = sub
				} else {
					items[i].path = sub + "/" + items[i].path
				}
			}
		}
	}()
	if list == "" {
		return path, repeat, []xmlItem{{index: 0, path: "."}}
	}
	list = strings.TrimSuffix(list, "}")
	for i, it := range strings.Split(list, ",") {
		it = strings.TrimSpace(it)
		x := xmlItem{index: i}
		if k, p, ok := strings.Cut(it, "="); ok {
			n, err := strconv.Atoi(k)
			if err != nil {
				panic("ansinist: xml table item " + it)
			}
			x.index, it = n-1, p
		}
		if strings.HasSuffix(it, "+") {
			x.more, it = true, strings.TrimSuffix(it, "+")
		}
		x.path = it
		items = append(items, x)
	}
	return path, repeat, items
}

func (m xmlMapping) applies(t int) bool {
	for _, x := range m.types {
		if x == t {
			return true
		}
	}
	return false
}
