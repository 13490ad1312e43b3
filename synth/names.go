package synth

// Invented-for-testing name pools by naming tradition. They are common
// given and family names, combined at random, so any resemblance of a
// generated person to a real one is coincidence.
type namePool struct {
	female, male, family []string
}

var namePools = map[string]namePool{
	"es": {
		female: []string{"María", "Luisa", "Camila", "Valentina", "Daniela", "Sofía", "Ana", "Lucía", "Gabriela", "Paola", "Carolina", "Isabel", "Juliana", "Mariana", "Natalia", "Andrea", "Rosa", "Elena"},
		male:   []string{"José", "Juan", "Carlos", "Luis", "Andrés", "Santiago", "Miguel", "Jorge", "Diego", "Alejandro", "Camilo", "Felipe", "Javier", "Sebastián", "Manuel", "Óscar", "Ricardo", "Pedro"},
		family: []string{"García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Cruz", "Morales", "Reyes", "Gutiérrez", "Ortiz", "Castro", "Vargas", "Rojas", "Moreno", "Jiménez", "Mendoza", "Ruiz", "Álvarez", "Romero", "Herrera", "Medina"},
	},
	"ar": {
		female: []string{"Fatima", "Aisha", "Maryam", "Zainab", "Layla", "Noor", "Huda", "Rania", "Samira", "Yasmin", "Amal", "Salma", "Lina", "Dina", "Hana", "Nadia"},
		male:   []string{"Mohammed", "Ahmad", "Ali", "Omar", "Hassan", "Hussein", "Khaled", "Youssef", "Ibrahim", "Mahmoud", "Mustafa", "Tariq", "Karim", "Samir", "Bilal", "Hamza"},
		family: []string{"Al-Ahmad", "Haddad", "Khalil", "Nasser", "Saleh", "Hamdan", "Darwish", "Aziz", "Mansour", "Qasim", "Rahman", "Yousef", "Jaber", "Farouk", "Barakat", "Sabbagh", "Hakimi", "Karimi", "Ahmadi", "Hosseini"},
	},
	"en": {
		female: []string{"Mary", "Jennifer", "Linda", "Patricia", "Elizabeth", "Susan", "Jessica", "Sarah", "Emily", "Ashley", "Olivia", "Emma", "Grace", "Hannah"},
		male:   []string{"James", "John", "Robert", "Michael", "William", "David", "Richard", "Joseph", "Thomas", "Daniel", "Matthew", "Andrew", "Ryan", "Kevin"},
		family: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris", "Clark", "Lewis"},
	},
	"wa": {
		female: []string{"Aminata", "Fatou", "Mariama", "Awa", "Adaeze", "Chioma", "Ngozi", "Kadiatou", "Aissatou", "Folake", "Yetunde", "Khadija"},
		male:   []string{"Mamadou", "Ousmane", "Ibrahima", "Moussa", "Chukwuemeka", "Oluwaseun", "Babacar", "Abdoulaye", "Emeka", "Kwame", "Seydou", "Tunde"},
		family: []string{"Diallo", "Traoré", "Ndiaye", "Diop", "Okafor", "Adeyemi", "Camara", "Keita", "Sow", "Ba", "Okonkwo", "Balogun", "Coulibaly", "Mensah", "Sylla", "Eze"},
	},
	"sl": {
		female: []string{"Olena", "Iryna", "Natalia", "Tetiana", "Oksana", "Yulia", "Anastasia", "Kateryna", "Svitlana", "Maria"},
		male:   []string{"Oleksandr", "Andrii", "Dmytro", "Serhii", "Volodymyr", "Mykola", "Ivan", "Yurii", "Taras", "Petro"},
		family: []string{"Shevchenko", "Kovalenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk", "Boyko", "Kovalchuk", "Oliinyk", "Lysenko", "Marchenko", "Savchenko"},
	},
	"fr": {
		female: []string{"Marie", "Nadège", "Widline", "Fabienne", "Roseline", "Guerline", "Nathalie", "Sandrine", "Esther", "Lovely"},
		male:   []string{"Jean", "Pierre", "Jacques", "Wilson", "Frantz", "Stanley", "Ricardo", "Emmanuel", "Joseph", "Réginald"},
		family: []string{"Joseph", "Jean-Baptiste", "Pierre", "Louis", "Charles", "Saint-Fleur", "Desir", "Etienne", "Augustin", "Celestin", "Dorvil", "Toussaint"},
	},
}

// nationalityNames maps ISO 3166-1 alpha-3 codes to a naming tradition.
var nationalityNames = map[string]string{
	"COL": "es", "VEN": "es", "MEX": "es", "GTM": "es", "HND": "es", "SLV": "es", "ECU": "es", "PER": "es", "NIC": "es", "CUB": "es",
	"SYR": "ar", "IRQ": "ar", "AFG": "ar", "SDN": "ar", "YEM": "ar",
	"USA": "en", "CAN": "en", "GBR": "en",
	"NGA": "wa", "SEN": "wa", "GIN": "wa", "MLI": "wa", "GHA": "wa",
	"UKR": "sl",
	"HTI": "fr",
}

func namesFor(nationality string) namePool {
	if t, ok := nationalityNames[nationality]; ok {
		return namePools[t]
	}
	return namePools["en"]
}
