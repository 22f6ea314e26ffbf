// Interface text in Indonesian (the default: the hub's members are Indonesian officials) and
// English, and the labels of the API's enums.
//
// The API gives Indonesian labels only in search facets and English messages only in mutation
// errors, so the page keeps its own labels for every enum value and translates errors by
// their `code`. The enum labels are the server's (storage/vocabulary.py), copied.

const STORAGE_KEY = 'lumbung.language';
export const LANGUAGES = ['id', 'en'];

const STRINGS = {
  id: {
    'app.name': 'Lumbung',
    'app.tagline': 'Berbagi praktik baik antardaerah',
    'app.skip': 'Langsung ke konten utama',
    'nav.label': 'Navigasi utama',
    'nav.search': 'Cari',
    'nav.contribute': 'Kontribusi',
    'language.switch': 'English',
    'language.switchLabel': 'Switch the interface to English',
    'language.changed': 'Bahasa antarmuka: Indonesia',
    'footer.demo': 'Konten bertanda Demo adalah contoh fiktif.',
    'footer.api': 'Halaman ini hanya memakai API GraphQL di /graphql.',

    'account.label': 'Akun',
    'account.signIn': 'Masuk',
    'account.signInAgain': 'Masuk lagi',
    'account.expired': 'Sesi Anda telah berakhir.',
    'account.signedInAs': 'Masuk sebagai',
    'account.signOut': 'Keluar',
    'account.signedOut': 'Anda sudah keluar.',
    'account.sessionEnded': 'Sesi Anda telah berakhir. Silakan masuk lagi.',

    'signIn.title': 'Masuk',
    'signIn.intro': 'Masuk dengan akun Lumbung Anda untuk berbagi praktik baik.',
    'signIn.expired': 'Sesi Anda telah berakhir. Silakan masuk lagi; isian yang belum disimpan tetap ada.',
    'signIn.email': 'Email',
    'signIn.password': 'Kata sandi',
    'signIn.submit': 'Masuk',
    'signIn.signingIn': 'Sedang masuk…',
    'signIn.failed': 'Belum bisa masuk',
    'signIn.noAccount': 'Belum punya akun? Akun dibuat lewat undangan dari admin organisasi Anda atau dari asosiasi.',

    'search.title': 'Cari praktik baik',
    'search.intro': 'Praktik baik, studi kasus, kemitraan, dan organisasi dari kecamatan dan kelurahan di seluruh Indonesia.',
    'search.label': 'Kata kunci',
    'search.placeholder': 'mis. bank sampah, stunting, PATEN',
    'search.submit': 'Cari',
    'search.suggestions': 'Saran',
    'search.suggestionsCount': '{count} saran tersedia. Gunakan panah atas dan bawah untuk memilih.',
    'search.noSuggestions': 'Tidak ada saran',
    'search.filters': 'Filter',
    'search.filtersActive': 'Filter ({count})',
    'search.clearFilters': 'Hapus semua filter',
    'search.removeFilter': 'Hapus filter: {label}',
    'search.results': 'Hasil pencarian',
    'search.count': '{count} hasil',
    'search.countFor': '{count} hasil untuk “{query}”',
    'search.none': 'Tidak ada hasil. Coba kata lain atau kurangi filter.',
    'search.loading': 'Mencari…',
    'search.loadMore': 'Muat lebih banyak',
    'search.loadingMore': 'Memuat hasil berikutnya…',
    'search.loadedMore': '{count} hasil lagi dimuat.',
    'search.showAll': 'Tampilkan semua ({count})',
    'search.showFewer': 'Tampilkan lebih sedikit',
    'search.unavailable': 'Mesin pencari sedang tidak tersedia. Konten tetap aman; coba lagi sebentar lagi.',
    'search.failed': 'Pencarian gagal.',
    'search.retry': 'Coba lagi',
    'search.regionHere': 'Wilayah dengan hasil',
    'search.anywhere': 'Seluruh Indonesia',

    'facet.CONTENT_TYPE': 'Jenis',
    'facet.THEME': 'Tema',
    'facet.SDG': 'TPB/SDGs',
    'facet.REGION': 'Wilayah',
    'facet.ORGANIZATION_KIND': 'Jenis organisasi',
    'facet.STAGE': 'Tahap',
    'facet.YEAR': 'Tahun',

    'region.PROVINCE': 'Provinsi',
    'region.REGENCY_CITY': 'Kabupaten/Kota',
    'region.KECAMATAN': 'Kecamatan',
    'region.KELURAHAN_DESA': 'Kelurahan/Desa',
    'region.all': '— Semua —',
    'region.choose': '— Pilih —',
    'region.loading': 'Memuat wilayah…',
    'region.failed': 'Daftar wilayah tidak dapat dimuat.',

    'detail.back': 'Kembali ke pencarian',
    'detail.loading': 'Memuat…',
    'detail.notFound': 'Konten ini tidak ditemukan. Mungkin sudah dihapus.',
    'detail.failed': 'Konten tidak dapat dimuat.',
    'detail.demo': 'Demo',
    'detail.verified': 'Terverifikasi',
    'detail.organization': 'Organisasi',
    'detail.regions': 'Wilayah',
    'detail.themes': 'Tema',
    'detail.sdgs': 'TPB/SDGs',
    'detail.stage': 'Tahap',
    'detail.status': 'Status',
    'detail.period': 'Periode',
    'detail.verified': 'Verifikasi terakhir',
    'detail.verifiedActive': 'masih berjalan per {date}',
    'detail.verifiedStopped': 'dihentikan (dicek {date})',
    'detail.periodOngoing': 'sekarang',
    'detail.digital': 'Inovasi digital',
    'detail.author': 'Penulis',
    'detail.problem': 'Masalah',
    'detail.approach': 'Pendekatan',
    'detail.buildingBlocks': 'Komponen yang dapat direplikasi',
    'detail.howToReplicate': 'Cara mereplikasi',
    'detail.results': 'Hasil dan indikator',
    'detail.indicator': 'Indikator',
    'detail.unit': 'Satuan',
    'detail.baseline': 'Awal',
    'detail.target': 'Target',
    'detail.achieved': 'Tercapai',
    'detail.funding': 'Pendanaan',
    'detail.beneficiaries': 'Penerima manfaat',
    'detail.legalBasis': 'Dasar hukum',
    'detail.lessons': 'Pelajaran',
    'detail.evidence': 'Bukti dan tautan',
    'detail.contact': 'Kontak',
    'detail.replications': 'Direplikasi oleh daerah lain',
    'detail.caseStudies': 'Studi kasus tentang praktik ini',
    'detail.similar': 'Praktik serupa dari daerah lain',
    'detail.similarVia': 'Berdasarkan praktik terkait “{title}”.',
    'detail.similarNone': 'Belum ada praktik serupa dari daerah lain.',
    'detail.similarFailed': 'Praktik serupa tidak dapat dimuat saat ini.',
    'detail.context': 'Konteks',
    'detail.methodology': 'Metodologi',
    'detail.findings': 'Temuan',
    'detail.recommendations': 'Rekomendasi',
    'detail.metrics': 'Indikator',
    'detail.authors': 'Penulis',
    'detail.publication': 'Publikasi',
    'detail.license': 'Lisensi',
    'detail.relatedPractices': 'Praktik terkait',
    'detail.partners': 'Mitra',
    'detail.objectives': 'Tujuan',
    'detail.agreement': 'Perjanjian',
    'detail.contributions': 'Kontribusi mitra',
    'detail.outcomes': 'Capaian',
    'detail.adaptations': 'Penyesuaian',
    'detail.comparison': 'Dibandingkan praktik asal',
    'detail.startedOn': 'Dimulai',
    'detail.replicatedPractice': 'Praktik yang direplikasi',
    'detail.website': 'Situs web',
    'detail.description': 'Deskripsi',
    'detail.newTab': 'membuka tab baru',
    'detail.englishMissing': 'Belum ada terjemahan bahasa Inggris; ditampilkan dalam bahasa Indonesia.',
    'detail.contactSignIn': 'Masuk untuk melihat email dan nomor telepon kontak.',

    'contribute.title': 'Bagikan praktik baik',
    'contribute.intro': 'Praktik Anda disimpan sebagai draf. Setelah Anda mengajukannya, tim asosiasi meninjaunya sebelum terbit.',
    'contribute.required': 'wajib',
    'contribute.optional': 'opsional',
    'contribute.basics': 'Tentang praktik',
    'contribute.where': 'Siapa dan di mana',
    'contribute.what': 'Masalah dan pendekatan',
    'contribute.more': 'Pendanaan dan hasil',
    'contribute.titleField': 'Judul',
    'contribute.titleEn': 'Judul dalam bahasa Inggris',
    'contribute.summary': 'Ringkasan',
    'contribute.summaryHint': 'Dua atau tiga kalimat: apa yang dilakukan dan hasilnya.',
    'contribute.organization': 'Organisasi pemilik',
    'contribute.organizationHint': 'Ketik nama organisasi, lalu pilih dari daftar.',
    'contribute.organizationChosen': 'Dipilih: {name}',
    'contribute.organizationOwn': 'Praktik ditulis atas nama organisasi Anda.',
    'contribute.notAnAuthor': 'Praktik baik ditulis oleh akun Anggota dan Admin, atas nama organisasinya. Akun Anda ({role}, {organization}) tidak dapat menulis praktik; Anda tetap dapat mencari dan membaca semuanya.',
    'contribute.region': 'Lokasi',
    'contribute.regionHint': 'Pilih sampai tingkat yang paling tepat, misalnya kelurahan.',
    'contribute.authorName': 'Nama penulis',
    'contribute.themes': 'Tema',
    'contribute.sdgs': 'TPB/SDGs',
    'contribute.stage': 'Tahap',
    'contribute.problem': 'Masalah yang diatasi',
    'contribute.approach': 'Pendekatan',
    'contribute.isDigital': 'Ini inovasi digital',
    'contribute.legalBasis': 'Dasar hukum (Perda, Perwali/Perbup, SK)',
    'contribute.periodStart': 'Mulai',
    'contribute.periodEnd': 'Selesai',
    'contribute.period': 'Periode',
    'contribute.funding': 'Pendanaan',
    'contribute.fundingSource': 'Sumber dana',
    'contribute.fundingAmount': 'Jumlah (Rp)',
    'contribute.fundingNote': 'Keterangan',
    'contribute.addFunding': 'Tambah sumber dana',
    'contribute.results': 'Hasil terukur',
    'contribute.resultName': 'Indikator',
    'contribute.resultUnit': 'Satuan',
    'contribute.resultBaseline': 'Awal',
    'contribute.resultTarget': 'Target',
    'contribute.resultAchieved': 'Tercapai',
    'contribute.addResult': 'Tambah indikator',
    'contribute.remove': 'Hapus',
    'contribute.row': '{label} {number}',
    'contribute.submit': 'Simpan sebagai draf',
    'contribute.saving': 'Menyimpan…',
    'contribute.errorSummary': 'Ada {count} isian yang perlu diperbaiki',
    'contribute.failed': 'Draf tidak dapat disimpan.',
    'contribute.success': 'Draf tersimpan',
    'contribute.successText': 'Terima kasih. “{title}” tersimpan sebagai draf.',
    'contribute.viewDraft': 'Lihat draf',
    'contribute.another': 'Tulis praktik lain',
    'contribute.submitForReview': 'Ajukan untuk ditinjau',
    'contribute.submitForReviewHint': 'Setelah diajukan, draf tidak dapat diubah kecuali peninjau mengembalikannya untuk diperbaiki.',
    'contribute.submitting': 'Mengajukan…',
    'contribute.submitted': 'Diajukan untuk ditinjau',
    'contribute.submittedText': '“{title}” sudah diajukan. Status: {status}. Tim asosiasi akan meninjaunya sebelum terbit.',
    'contribute.submitFailed': 'Draf belum dapat diajukan.',
    'contribute.viewItem': 'Lihat praktik',
    'contribute.choose': '— Pilih —',

    'error.REQUIRED': 'Wajib diisi.',
    'error.TOO_SHORT': 'Terlalu pendek.',
    'error.TOO_LONG': 'Terlalu panjang.',
    'error.OUT_OF_RANGE': 'Nilai di luar rentang yang diizinkan.',
    'error.INVALID': 'Isian tidak valid.',
    'error.INVALID_ID': 'Pilihan tidak valid.',
    'error.DUPLICATE': 'Ada yang ganda.',
    'error.DATE_ORDER': 'Tanggal selesai harus sesudah tanggal mulai.',
    'error.UNKNOWN_REGION': 'Wilayah tidak dikenal.',
    'error.UNKNOWN_ORGANIZATION': 'Organisasi tidak dikenal.',
    'error.UNKNOWN_PRACTICE': 'Praktik tidak dikenal.',
    'error.NOT_FOUND': 'Tidak ditemukan.',
    'error.CONFLICT': 'Konten ini diubah orang lain; muat ulang lalu coba lagi.',
    'error.IN_USE': 'Masih dipakai oleh konten lain.',
    'error.FORBIDDEN': 'Anda tidak berhak melakukan ini.',
    'error.UNAUTHENTICATED': 'Silakan masuk terlebih dahulu.',
    'error.INVALID_CREDENTIALS': 'Email atau kata sandi salah.',
    'error.TOO_MANY_ATTEMPTS': 'Terlalu banyak percobaan masuk yang gagal. Tunggu beberapa menit, lalu coba lagi.',
    'error.INVALID_TOKEN': 'Sesi tidak berlaku lagi. Silakan masuk lagi.',
    'error.WEAK_PASSWORD': 'Kata sandi terlalu lemah.',
    'error.INVALID_TRANSITION': 'Langkah ini tidak dapat dilakukan pada status konten saat ini.',
    'error.NUMBER': 'Isi dengan angka.',
    'error.network': 'Server tidak dapat dihubungi. Periksa koneksi lalu coba lagi.',
    'error.generic': 'Terjadi kesalahan.',
    'error.requestId': 'Kode permintaan: {id}',
  },
  en: {
    'app.name': 'Lumbung',
    'app.tagline': 'Sharing good practice between regions',
    'app.skip': 'Skip to main content',
    'nav.label': 'Main navigation',
    'nav.search': 'Search',
    'nav.contribute': 'Contribute',
    'language.switch': 'Bahasa Indonesia',
    'language.switchLabel': 'Ganti bahasa antarmuka ke bahasa Indonesia',
    'language.changed': 'Interface language: English',
    'footer.demo': 'Content marked Demo is fictional.',
    'footer.api': 'This page uses nothing but the GraphQL API at /graphql.',

    'account.label': 'Account',
    'account.signIn': 'Sign in',
    'account.signInAgain': 'Sign in again',
    'account.expired': 'Your session has ended.',
    'account.signedInAs': 'Signed in as',
    'account.signOut': 'Sign out',
    'account.signedOut': 'You have signed out.',
    'account.sessionEnded': 'Your session has ended. Please sign in again.',

    'signIn.title': 'Sign in',
    'signIn.intro': 'Sign in with your Lumbung account to share good practice.',
    'signIn.expired': 'Your session has ended. Please sign in again; anything not yet saved is kept.',
    'signIn.email': 'Email',
    'signIn.password': 'Password',
    'signIn.submit': 'Sign in',
    'signIn.signingIn': 'Signing in…',
    'signIn.failed': 'Could not sign in',
    'signIn.noAccount': 'No account yet? Accounts come by invitation from your organization’s admin or from the association.',

    'search.title': 'Find good practice',
    'search.intro': 'Practices, case studies, partnerships and organizations from kecamatan and kelurahan across Indonesia.',
    'search.label': 'Keywords',
    'search.placeholder': 'e.g. waste bank, stunting, PATEN',
    'search.submit': 'Search',
    'search.suggestions': 'Suggestions',
    'search.suggestionsCount': '{count} suggestions available. Use the up and down arrows to choose.',
    'search.noSuggestions': 'No suggestions',
    'search.filters': 'Filters',
    'search.filtersActive': 'Filters ({count})',
    'search.clearFilters': 'Clear all filters',
    'search.removeFilter': 'Remove filter: {label}',
    'search.results': 'Search results',
    'search.count': '{count} results',
    'search.countFor': '{count} results for “{query}”',
    'search.none': 'No results. Try other words or fewer filters.',
    'search.loading': 'Searching…',
    'search.loadMore': 'Load more',
    'search.loadingMore': 'Loading more results…',
    'search.loadedMore': '{count} more results loaded.',
    'search.showAll': 'Show all ({count})',
    'search.showFewer': 'Show fewer',
    'search.unavailable': 'The search engine is unavailable right now. Content is safe; please try again shortly.',
    'search.failed': 'The search failed.',
    'search.retry': 'Try again',
    'search.regionHere': 'Regions with results',
    'search.anywhere': 'All of Indonesia',

    'facet.CONTENT_TYPE': 'Type',
    'facet.THEME': 'Theme',
    'facet.SDG': 'SDGs',
    'facet.REGION': 'Region',
    'facet.ORGANIZATION_KIND': 'Organization kind',
    'facet.STAGE': 'Stage',
    'facet.YEAR': 'Year',

    'region.PROVINCE': 'Province',
    'region.REGENCY_CITY': 'Regency/City',
    'region.KECAMATAN': 'Kecamatan (sub-district)',
    'region.KELURAHAN_DESA': 'Kelurahan/Desa (village)',
    'region.all': '— All —',
    'region.choose': '— Choose —',
    'region.loading': 'Loading regions…',
    'region.failed': 'The list of regions could not be loaded.',

    'detail.back': 'Back to search',
    'detail.loading': 'Loading…',
    'detail.notFound': 'This item was not found. It may have been deleted.',
    'detail.failed': 'The item could not be loaded.',
    'detail.demo': 'Demo',
    'detail.verified': 'Verified',
    'detail.organization': 'Organization',
    'detail.regions': 'Regions',
    'detail.themes': 'Themes',
    'detail.sdgs': 'SDGs',
    'detail.stage': 'Stage',
    'detail.status': 'Status',
    'detail.period': 'Period',
    'detail.verified': 'Last verified',
    'detail.verifiedActive': 'still running as of {date}',
    'detail.verifiedStopped': 'stopped (checked {date})',
    'detail.periodOngoing': 'now',
    'detail.digital': 'Digital innovation',
    'detail.author': 'Author',
    'detail.problem': 'Problem',
    'detail.approach': 'Approach',
    'detail.buildingBlocks': 'Building blocks to replicate',
    'detail.howToReplicate': 'How to replicate',
    'detail.results': 'Results and indicators',
    'detail.indicator': 'Indicator',
    'detail.unit': 'Unit',
    'detail.baseline': 'Baseline',
    'detail.target': 'Target',
    'detail.achieved': 'Achieved',
    'detail.funding': 'Funding',
    'detail.beneficiaries': 'Beneficiaries',
    'detail.legalBasis': 'Legal basis',
    'detail.lessons': 'Lessons learned',
    'detail.evidence': 'Evidence and links',
    'detail.contact': 'Contact',
    'detail.replications': 'Replicated by other regions',
    'detail.caseStudies': 'Case studies of this practice',
    'detail.similar': 'Similar practices from other regions',
    'detail.similarVia': 'Based on the related practice “{title}”.',
    'detail.similarNone': 'No similar practice from another region yet.',
    'detail.similarFailed': 'Similar practices cannot be loaded right now.',
    'detail.context': 'Context',
    'detail.methodology': 'Methodology',
    'detail.findings': 'Findings',
    'detail.recommendations': 'Recommendations',
    'detail.metrics': 'Indicators',
    'detail.authors': 'Authors',
    'detail.publication': 'Publication',
    'detail.license': 'Licence',
    'detail.relatedPractices': 'Related practices',
    'detail.partners': 'Partners',
    'detail.objectives': 'Objectives',
    'detail.agreement': 'Agreement',
    'detail.contributions': 'Partner contributions',
    'detail.outcomes': 'Outcomes',
    'detail.adaptations': 'Adaptations',
    'detail.comparison': 'Compared with the original practice',
    'detail.startedOn': 'Started',
    'detail.replicatedPractice': 'Replicated practice',
    'detail.website': 'Website',
    'detail.description': 'Description',
    'detail.newTab': 'opens in a new tab',
    'detail.englishMissing': 'No English translation yet; shown in Indonesian.',
    'detail.contactSignIn': 'Sign in to see the contact’s email and phone number.',

    'contribute.title': 'Share a good practice',
    'contribute.intro': 'Your practice is saved as a draft. Once you submit it, the association reviews it before it is published.',
    'contribute.required': 'required',
    'contribute.optional': 'optional',
    'contribute.basics': 'About the practice',
    'contribute.where': 'Who and where',
    'contribute.what': 'Problem and approach',
    'contribute.more': 'Funding and results',
    'contribute.titleField': 'Title',
    'contribute.titleEn': 'Title in English',
    'contribute.summary': 'Summary',
    'contribute.summaryHint': 'Two or three sentences: what was done and what came of it.',
    'contribute.organization': 'Owning organization',
    'contribute.organizationHint': 'Type the organization’s name, then choose it from the list.',
    'contribute.organizationChosen': 'Chosen: {name}',
    'contribute.organizationOwn': 'Practices are written on behalf of your organization.',
    'contribute.notAnAuthor': 'Good practices are written by Member and Admin accounts, on behalf of their organization. Your account ({role}, {organization}) cannot write practices; you can still search and read everything.',
    'contribute.region': 'Location',
    'contribute.regionHint': 'Go down to the most precise level, such as the kelurahan.',
    'contribute.authorName': 'Author’s name',
    'contribute.themes': 'Themes',
    'contribute.sdgs': 'SDGs',
    'contribute.stage': 'Stage',
    'contribute.problem': 'Problem addressed',
    'contribute.approach': 'Approach',
    'contribute.isDigital': 'This is a digital innovation',
    'contribute.legalBasis': 'Legal basis (Perda, Perwali/Perbup, SK)',
    'contribute.periodStart': 'Start',
    'contribute.periodEnd': 'End',
    'contribute.period': 'Period',
    'contribute.funding': 'Funding',
    'contribute.fundingSource': 'Source',
    'contribute.fundingAmount': 'Amount (Rp)',
    'contribute.fundingNote': 'Note',
    'contribute.addFunding': 'Add a funding source',
    'contribute.results': 'Measured results',
    'contribute.resultName': 'Indicator',
    'contribute.resultUnit': 'Unit',
    'contribute.resultBaseline': 'Baseline',
    'contribute.resultTarget': 'Target',
    'contribute.resultAchieved': 'Achieved',
    'contribute.addResult': 'Add an indicator',
    'contribute.remove': 'Remove',
    'contribute.row': '{label} {number}',
    'contribute.submit': 'Save as draft',
    'contribute.saving': 'Saving…',
    'contribute.errorSummary': '{count} fields need fixing',
    'contribute.failed': 'The draft could not be saved.',
    'contribute.success': 'Draft saved',
    'contribute.successText': 'Thank you. “{title}” is saved as a draft.',
    'contribute.viewDraft': 'View the draft',
    'contribute.another': 'Write another practice',
    'contribute.submitForReview': 'Submit for review',
    'contribute.submitForReviewHint': 'Once submitted, the draft cannot be changed unless a reviewer sends it back for changes.',
    'contribute.submitting': 'Submitting…',
    'contribute.submitted': 'Submitted for review',
    'contribute.submittedText': '“{title}” has been submitted. Status: {status}. The association will review it before it is published.',
    'contribute.submitFailed': 'The draft could not be submitted.',
    'contribute.viewItem': 'View the practice',
    'contribute.choose': '— Choose —',

    // English error text comes from the API's own `message`; these are the fallbacks.
    'error.REQUIRED': 'This field is required.',
    'error.NUMBER': 'Enter a number.',
    'error.network': 'The server cannot be reached. Check the connection and try again.',
    'error.generic': 'Something went wrong.',
    'error.requestId': 'Request id: {id}',
  },
};

// [Indonesian, English] labels of the API's enum values.
const LABELS = {
  contentType: {
    PRACTICE: ['Praktik Baik', 'Practice'],
    CASE_STUDY: ['Studi Kasus', 'Case study'],
    PARTNERSHIP: ['Kemitraan', 'Partnership'],
    ORGANIZATION: ['Organisasi', 'Organization'],
    REPLICATION: ['Replikasi', 'Replication'],
  },
  theme: {
    WASTE_MANAGEMENT: ['Pengelolaan Sampah', 'Waste management'],
    HEALTH: ['Kesehatan', 'Health'],
    NUTRITION_STUNTING: ['Gizi dan Stunting', 'Nutrition and stunting'],
    EDUCATION: ['Pendidikan', 'Education'],
    PUBLIC_SERVICE: ['Pelayanan Publik', 'Public service delivery'],
    PARTICIPATORY_PLANNING: ['Perencanaan Partisipatif', 'Participatory planning'],
    LOCAL_ECONOMY: ['Ekonomi Lokal dan UMKM', 'Local economy and small business'],
    DIGITAL_GOVERNMENT: ['Pemerintahan Digital', 'Digital government'],
    ENVIRONMENT: ['Lingkungan Hidup', 'Environment'],
    DISASTER_RESILIENCE: ['Ketangguhan Bencana', 'Disaster resilience'],
    SOCIAL_PROTECTION: ['Perlindungan Sosial', 'Social protection'],
    WATER_SANITATION: ['Air Bersih dan Sanitasi', 'Water and sanitation'],
    GENDER_CHILD: ['Perempuan dan Anak', 'Women and children'],
    TRANSPARENCY: ['Transparansi dan Keuangan Daerah', 'Transparency and public finance'],
    COMMUNITY_SECURITY: ['Ketertiban dan Keamanan Lingkungan', 'Community safety'],
    AGRICULTURE_FOOD: ['Pertanian dan Ketahanan Pangan', 'Agriculture and food security'],
    TOURISM_CULTURE: ['Pariwisata dan Budaya', 'Tourism and culture'],
    YOUTH: ['Kepemudaan', 'Youth'],
  },
  stage: {
    INITIATIVE: ['Inisiatif', 'Initiative'],
    PILOT: ['Uji Coba', 'Pilot'],
    APPLIED: ['Diterapkan', 'Applied'],
    INSTITUTIONALIZED: ['Melembaga', 'Institutionalized'],
  },
  organizationKind: {
    KECAMATAN_GOVERNMENT: ['Pemerintah Kecamatan', 'Sub-district government'],
    KELURAHAN_GOVERNMENT: ['Pemerintah Kelurahan/Desa', 'Urban village government'],
    CITY_GOVERNMENT: ['Pemerintah Kabupaten/Kota', 'Regency/City government'],
    NGO: ['Lembaga Swadaya Masyarakat', 'Non-governmental organization'],
    ACADEMIC: ['Perguruan Tinggi/Lembaga Riset', 'University or research institute'],
    PRIVATE_SECTOR: ['Sektor Swasta', 'Private sector'],
    COMMUNITY_GROUP: ['Kelompok Masyarakat', 'Community group'],
    ASSOCIATION: ['Asosiasi', 'The association'],
  },
  role: {
    MEMBER: ['Anggota', 'Member'],
    PARTNER: ['Mitra', 'Partner'],
    REVIEWER: ['Peninjau', 'Reviewer'],
    ADMIN: ['Admin', 'Admin'],
  },
  status: {
    DRAFT: ['Draf', 'Draft'],
    SUBMITTED: ['Diajukan', 'Submitted'],
    CHANGES_REQUESTED: ['Perlu Perbaikan', 'Changes requested'],
    PUBLISHED: ['Terbit', 'Published'],
    ARCHIVED: ['Diarsipkan', 'Archived'],
  },
  fundingSource: {
    APBD: ['APBD', 'Regional budget (APBD)'],
    APBN: ['APBN', 'National budget (APBN)'],
    DANA_KELURAHAN: ['Dana Kelurahan', 'Kelurahan fund'],
    DANA_DESA: ['Dana Desa', 'Village fund'],
    CSR: ['CSR/TJSL', 'Corporate social responsibility'],
    GRANT: ['Hibah', 'Grant'],
    COMMUNITY: ['Swadaya Masyarakat', 'Community self-funding'],
    OTHER: ['Lainnya', 'Other'],
  },
  partnerRole: {
    LEAD: ['Pemimpin', 'Lead'],
    FUNDER: ['Penyandang Dana', 'Funder'],
    IMPLEMENTER: ['Pelaksana', 'Implementer'],
    TECHNICAL_ADVISOR: ['Pendamping Teknis', 'Technical advisor'],
    RESEARCH: ['Peneliti', 'Research'],
  },
  partnershipStatus: {
    PROPOSED: ['Diusulkan', 'Proposed'],
    ACTIVE: ['Berjalan', 'Active'],
    COMPLETED: ['Selesai', 'Completed'],
    ENDED: ['Dihentikan', 'Ended'],
  },
  agreementKind: {
    MOU: ['Nota Kesepahaman (MoU)', 'Memorandum of understanding'],
    PKS: ['Perjanjian Kerja Sama (PKS)', 'Cooperation agreement'],
    OTHER: ['Lainnya', 'Other'],
  },
  replicationStatus: {
    PLANNED: ['Direncanakan', 'Planned'],
    IN_PROGRESS: ['Berjalan', 'In progress'],
    COMPLETED: ['Selesai', 'Completed'],
    DISCONTINUED: ['Dihentikan', 'Discontinued'],
  },
  // The localised SDGs: Tujuan Pembangunan Berkelanjutan (TPB).
  sdg: {
    1: ['Tanpa Kemiskinan', 'No poverty'],
    2: ['Tanpa Kelaparan', 'Zero hunger'],
    3: ['Kehidupan Sehat dan Sejahtera', 'Good health and well-being'],
    4: ['Pendidikan Berkualitas', 'Quality education'],
    5: ['Kesetaraan Gender', 'Gender equality'],
    6: ['Air Bersih dan Sanitasi Layak', 'Clean water and sanitation'],
    7: ['Energi Bersih dan Terjangkau', 'Affordable and clean energy'],
    8: ['Pekerjaan Layak dan Pertumbuhan Ekonomi', 'Decent work and economic growth'],
    9: ['Industri, Inovasi dan Infrastruktur', 'Industry, innovation and infrastructure'],
    10: ['Berkurangnya Kesenjangan', 'Reduced inequalities'],
    11: ['Kota dan Permukiman yang Berkelanjutan', 'Sustainable cities and communities'],
    12: ['Konsumsi dan Produksi yang Bertanggung Jawab', 'Responsible consumption and production'],
    13: ['Penanganan Perubahan Iklim', 'Climate action'],
    14: ['Ekosistem Lautan', 'Life below water'],
    15: ['Ekosistem Daratan', 'Life on land'],
    16: ['Perdamaian, Keadilan dan Kelembagaan yang Tangguh', 'Peace, justice and strong institutions'],
    17: ['Kemitraan untuk Mencapai Tujuan', 'Partnerships for the goals'],
  },
};

let current = readStoredLanguage();
const listeners = new Set();

function readStoredLanguage() {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(stored) ? stored : 'id';
  } catch {
    return 'id'; // storage can be blocked; Indonesian is the default anyway
  }
}

export function language() {
  return current;
}

/** The BCP 47 locale for Intl formatting. */
export function locale() {
  return current === 'id' ? 'id-ID' : 'en-GB';
}

export function setLanguage(next) {
  if (!LANGUAGES.includes(next) || next === current) return;
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // the choice then lasts for this page only
  }
  document.documentElement.lang = next;
  for (const listener of listeners) listener(next);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

/** The text of `key` in the current language (falling back to Indonesian), with {placeholders} filled. */
export function t(key, values = {}) {
  const text = STRINGS[current][key] ?? STRINGS.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ''));
}

/** The label of an enum value: label('theme', 'HEALTH'). Unknown values show as they are. */
export function label(kind, value) {
  const pair = LABELS[kind]?.[value];
  return pair ? pair[current === 'id' ? 0 : 1] : String(value);
}

/** The values of an enum, in the API's order: for checkboxes and selects. */
export function values(kind) {
  return Object.keys(LABELS[kind] ?? {});
}

/** A mutation error as the person should read it: by its code in Indonesian, the API's message in English. */
export function errorText(error) {
  if (current === 'en' && error.message) return error.message;
  return STRINGS.id[`error.${error.code}`] ?? error.message;
}

/**
 * The text of a bilingual field: the English one when English is chosen and given.
 * Returns { text, lang } so the element can carry the right `lang` for screen readers.
 */
export function localized(indonesian, english) {
  if (current === 'en' && english) return { text: english, lang: 'en' };
  return { text: indonesian ?? '', lang: 'id' };
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(locale(), options).format(value);
}

export function formatRupiah(value) {
  return formatNumber(value, { style: 'currency', currency: 'IDR', maximumFractionDigits: 0 });
}

export function formatDate(isoDate) {
  if (!isoDate) return '';
  // A GraphQL Date is "YYYY-MM-DD": read it as a calendar date, not as UTC midnight.
  const [year, month, day] = isoDate.slice(0, 10).split('-').map(Number);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'long' }).format(new Date(year, month - 1, day));
}
