package agreement

import "strings"

// countryCodes are the 249 officially assigned ISO 3166-1 alpha-3 codes.
// The list was taken from the CLDR region data in golang.org/x/text v0.44.0
// (regions that are countries), less withdrawn codes (ANT, ATN, BUR, DDR, SCG, SUN,
// TMP, YUG, ZAR, ...) and exceptionally or
// transitionally reserved ones (ASC, CPT, DGA, TAA, XKK).
var countryCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`
	ABW AFG AGO AIA ALA ALB AND ARE ARG ARM ASM ATA ATF ATG AUS AUT
	AZE BDI BEL BEN BES BFA BGD BGR BHR BHS BIH BLM BLR BLZ BMU BOL
	BRA BRB BRN BTN BVT BWA CAF CAN CCK CHE CHL CHN CIV CMR COD COG
	COK COL COM CPV CRI CUB CUW CXR CYM CYP CZE DEU DJI DMA DNK DOM
	DZA ECU EGY ERI ESH ESP EST ETH FIN FJI FLK FRA FRO FSM GAB GBR
	GEO GGY GHA GIB GIN GLP GMB GNB GNQ GRC GRD GRL GTM GUF GUM GUY
	HKG HMD HND HRV HTI HUN IDN IMN IND IOT IRL IRN IRQ ISL ISR ITA
	JAM JEY JOR JPN KAZ KEN KGZ KHM KIR KNA KOR KWT LAO LBN LBR LBY
	LCA LIE LKA LSO LTU LUX LVA MAC MAF MAR MCO MDA MDG MDV MEX MHL
	MKD MLI MLT MMR MNE MNG MNP MOZ MRT MSR MTQ MUS MWI MYS MYT NAM
	NCL NER NFK NGA NIC NIU NLD NOR NPL NRU NZL OMN PAK PAN PCN PER
	PHL PLW PNG POL PRI PRK PRT PRY PSE PYF QAT REU ROU RUS RWA SAU
	SDN SEN SGP SGS SHN SJM SLB SLE SLV SMR SOM SPM SRB SSD STP SUR
	SVK SVN SWE SWZ SXM SYC SYR TCA TCD TGO THA TJK TKL TKM TLS TON
	TTO TUN TUR TUV TWN TZA UGA UKR UMI URY USA UZB VAT VCT VEN VGB
	VIR VNM VUT WLF WSM YEM ZAF ZMB ZWE
`) {
		m[c] = true
	}
	return m
}()

// IsCountryCode reports whether s is an officially assigned ISO 3166-1
// alpha-3 code (upper case).
func IsCountryCode(s string) bool { return countryCodes[s] }

// ICAO Doc 9303 nationality codes that travel documents carry for persons
// without a usable nationality: XXB (refugee under the 1951 Convention) and
// XXC (other refugee) say the person is a refugee; they, XXA (stateless) and
// XXX (unspecified) say nothing of the country of nationality.
var icaoRefugeeCodes = []string{"XXB", "XXC"}
