"""Closed vocabularies of the hub.

Stored in MongoDB by their value (the enum member name), exposed by the schema as GraphQL
enums. The Indonesian label of each member is the wording officials use (see GLOSSARY.md).
"""

from __future__ import annotations

from enum import StrEnum


class LabelledEnum(StrEnum):
    """A string enum whose members carry an Indonesian and an English label."""

    label_id: str
    label_en: str

    def __new__(cls, value: str, label_id: str, label_en: str) -> LabelledEnum:
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_id = label_id
        member.label_en = label_en
        return member


class RegionLevel(LabelledEnum):
    PROVINCE = ("PROVINCE", "Provinsi", "Province")
    REGENCY_CITY = ("REGENCY_CITY", "Kabupaten/Kota", "Regency/City")
    KECAMATAN = ("KECAMATAN", "Kecamatan", "Sub-district")
    KELURAHAN_DESA = ("KELURAHAN_DESA", "Kelurahan/Desa", "Urban village/Village")

    @classmethod
    def of_code(cls, code: str) -> RegionLevel:
        """The level of a dotted Kemendagri code: one segment per level."""
        return LEVELS_BY_DEPTH[code.count(".")]


LEVELS_BY_DEPTH = tuple(RegionLevel)


class OrganizationKind(LabelledEnum):
    KECAMATAN_GOVERNMENT = ("KECAMATAN_GOVERNMENT", "Pemerintah Kecamatan", "Sub-district government")
    KELURAHAN_GOVERNMENT = ("KELURAHAN_GOVERNMENT", "Pemerintah Kelurahan/Desa", "Urban village government")
    CITY_GOVERNMENT = ("CITY_GOVERNMENT", "Pemerintah Kabupaten/Kota", "Regency/City government")
    NGO = ("NGO", "Lembaga Swadaya Masyarakat", "Non-governmental organization")
    ACADEMIC = ("ACADEMIC", "Perguruan Tinggi/Lembaga Riset", "University or research institute")
    PRIVATE_SECTOR = ("PRIVATE_SECTOR", "Sektor Swasta", "Private sector")
    COMMUNITY_GROUP = ("COMMUNITY_GROUP", "Kelompok Masyarakat", "Community group")
    ASSOCIATION = ("ASSOCIATION", "Asosiasi", "The association")


class Theme(LabelledEnum):
    WASTE_MANAGEMENT = ("WASTE_MANAGEMENT", "Pengelolaan Sampah", "Waste management")
    HEALTH = ("HEALTH", "Kesehatan", "Health")
    NUTRITION_STUNTING = ("NUTRITION_STUNTING", "Gizi dan Stunting", "Nutrition and stunting")
    EDUCATION = ("EDUCATION", "Pendidikan", "Education")
    PUBLIC_SERVICE = ("PUBLIC_SERVICE", "Pelayanan Publik", "Public service delivery")
    PARTICIPATORY_PLANNING = ("PARTICIPATORY_PLANNING", "Perencanaan Partisipatif", "Participatory planning")
    LOCAL_ECONOMY = ("LOCAL_ECONOMY", "Ekonomi Lokal dan UMKM", "Local economy and small business")
    DIGITAL_GOVERNMENT = ("DIGITAL_GOVERNMENT", "Pemerintahan Digital", "Digital government")
    ENVIRONMENT = ("ENVIRONMENT", "Lingkungan Hidup", "Environment")
    DISASTER_RESILIENCE = ("DISASTER_RESILIENCE", "Ketangguhan Bencana", "Disaster resilience")
    SOCIAL_PROTECTION = ("SOCIAL_PROTECTION", "Perlindungan Sosial", "Social protection")
    WATER_SANITATION = ("WATER_SANITATION", "Air Bersih dan Sanitasi", "Water and sanitation")
    GENDER_CHILD = ("GENDER_CHILD", "Perempuan dan Anak", "Women and children")
    TRANSPARENCY = ("TRANSPARENCY", "Transparansi dan Keuangan Daerah", "Transparency and public finance")
    COMMUNITY_SECURITY = ("COMMUNITY_SECURITY", "Ketertiban dan Keamanan Lingkungan", "Community safety")
    AGRICULTURE_FOOD = ("AGRICULTURE_FOOD", "Pertanian dan Ketahanan Pangan", "Agriculture and food security")
    TOURISM_CULTURE = ("TOURISM_CULTURE", "Pariwisata dan Budaya", "Tourism and culture")
    YOUTH = ("YOUTH", "Kepemudaan", "Youth")


class ContentStatus(LabelledEnum):
    DRAFT = ("DRAFT", "Draf", "Draft")
    SUBMITTED = ("SUBMITTED", "Diajukan", "Submitted")
    CHANGES_REQUESTED = ("CHANGES_REQUESTED", "Perlu Perbaikan", "Changes requested")
    PUBLISHED = ("PUBLISHED", "Terbit", "Published")
    ARCHIVED = ("ARCHIVED", "Diarsipkan", "Archived")


class Stage(LabelledEnum):
    INITIATIVE = ("INITIATIVE", "Inisiatif", "Initiative")
    PILOT = ("PILOT", "Uji Coba", "Pilot")
    APPLIED = ("APPLIED", "Diterapkan", "Applied")
    INSTITUTIONALIZED = ("INSTITUTIONALIZED", "Melembaga", "Institutionalized")


class FundingSource(LabelledEnum):
    APBD = ("APBD", "APBD", "Regional budget (APBD)")
    APBN = ("APBN", "APBN", "National budget (APBN)")
    DANA_KELURAHAN = ("DANA_KELURAHAN", "Dana Kelurahan", "Kelurahan fund")
    DANA_DESA = ("DANA_DESA", "Dana Desa", "Village fund")
    CSR = ("CSR", "CSR/TJSL", "Corporate social responsibility")
    GRANT = ("GRANT", "Hibah", "Grant")
    COMMUNITY = ("COMMUNITY", "Swadaya Masyarakat", "Community self-funding")
    OTHER = ("OTHER", "Lainnya", "Other")


class PartnerRole(LabelledEnum):
    LEAD = ("LEAD", "Pemimpin", "Lead")
    FUNDER = ("FUNDER", "Penyandang Dana", "Funder")
    IMPLEMENTER = ("IMPLEMENTER", "Pelaksana", "Implementer")
    TECHNICAL_ADVISOR = ("TECHNICAL_ADVISOR", "Pendamping Teknis", "Technical advisor")
    RESEARCH = ("RESEARCH", "Peneliti", "Research")


class PartnershipStatus(LabelledEnum):
    PROPOSED = ("PROPOSED", "Diusulkan", "Proposed")
    ACTIVE = ("ACTIVE", "Berjalan", "Active")
    COMPLETED = ("COMPLETED", "Selesai", "Completed")
    ENDED = ("ENDED", "Dihentikan", "Ended")


class AgreementKind(LabelledEnum):
    MOU = ("MOU", "Nota Kesepahaman (MoU)", "Memorandum of understanding")
    PKS = ("PKS", "Perjanjian Kerja Sama (PKS)", "Cooperation agreement")
    OTHER = ("OTHER", "Lainnya", "Other")


class ReplicationStatus(LabelledEnum):
    PLANNED = ("PLANNED", "Direncanakan", "Planned")
    IN_PROGRESS = ("IN_PROGRESS", "Berjalan", "In progress")
    COMPLETED = ("COMPLETED", "Selesai", "Completed")
    DISCONTINUED = ("DISCONTINUED", "Dihentikan", "Discontinued")


SDG_GOALS = range(1, 18)

# The organization kinds whose staff are members: they write practices and request exchanges.
GOVERNMENTS = frozenset(
    {
        OrganizationKind.KECAMATAN_GOVERNMENT,
        OrganizationKind.KELURAHAN_GOVERNMENT,
        OrganizationKind.CITY_GOVERNMENT,
    }
)


class Role(LabelledEnum):
    """What a user may do, always within the organization the user belongs to."""

    MEMBER = ("MEMBER", "Anggota (pemerintah)", "Member (government staff)")
    PARTNER = ("PARTNER", "Mitra", "Partner (NGO, academic or private staff)")
    REVIEWER = ("REVIEWER", "Peninjau", "Reviewer (the association)")
    ADMIN = ("ADMIN", "Admin", "Administrator")


class AuditAction(LabelledEnum):
    CREATED = ("CREATED", "Dibuat", "Created")
    EDITED = ("EDITED", "Diubah", "Edited")
    SUBMITTED = ("SUBMITTED", "Diajukan", "Submitted for review")
    CHANGES_REQUESTED = ("CHANGES_REQUESTED", "Diminta perbaikan", "Changes requested")
    PUBLISHED = ("PUBLISHED", "Diterbitkan", "Published")
    ARCHIVED = ("ARCHIVED", "Diarsipkan", "Archived")
    VERIFIED = ("VERIFIED", "Diverifikasi", "Verified")
    DELETED = ("DELETED", "Dihapus", "Deleted")
    POSTED = ("POSTED", "Dikirim", "Posted")
    ANSWER_ACCEPTED = ("ANSWER_ACCEPTED", "Jawaban diterima", "Answer accepted")
    ANSWER_WITHDRAWN = ("ANSWER_WITHDRAWN", "Jawaban dibatalkan", "Accepted answer withdrawn")
    HIDDEN = ("HIDDEN", "Disembunyikan", "Hidden by a moderator")
    RESTORED = ("RESTORED", "Dipulihkan", "Restored by a moderator")
    REPORTED = ("REPORTED", "Dilaporkan", "Reported")
    REPORTS_DISMISSED = ("REPORTS_DISMISSED", "Laporan ditolak", "Reports dismissed")
    CANCELLED = ("CANCELLED", "Dibatalkan", "Cancelled")
    FINISHED = ("FINISHED", "Selesai", "Finished")
    ATTENDANCE_MARKED = ("ATTENDANCE_MARKED", "Kehadiran dicatat", "Attendance marked")
    EXCHANGE_REQUESTED = ("EXCHANGE_REQUESTED", "Pertukaran diminta", "Exchange requested")
    EXCHANGE_ACCEPTED = ("EXCHANGE_ACCEPTED", "Pertukaran diterima", "Exchange accepted")
    EXCHANGE_DECLINED = ("EXCHANGE_DECLINED", "Pertukaran ditolak", "Exchange declined")
    EXCHANGE_SCHEDULED = ("EXCHANGE_SCHEDULED", "Pertukaran dijadwalkan", "Exchange scheduled")
    EXCHANGE_COMPLETED = ("EXCHANGE_COMPLETED", "Pertukaran selesai", "Exchange completed")
    EXCHANGE_CANCELLED = ("EXCHANGE_CANCELLED", "Pertukaran dibatalkan", "Exchange cancelled")
    EXCHANGE_CONVERTED = ("EXCHANGE_CONVERTED", "Dijadikan replikasi", "Turned into a replication")
    INDICATOR_REPORTED = ("INDICATOR_REPORTED", "Capaian indikator dilaporkan", "Indicator value reported")
    INDICATOR_CORRECTED = ("INDICATOR_CORRECTED", "Laporan indikator dikoreksi", "Indicator report corrected")
    INDICATOR_REPORT_DELETED = (
        "INDICATOR_REPORT_DELETED",
        "Laporan indikator dihapus",
        "Indicator report deleted",
    )


class DiscussionKind(LabelledEnum):
    QUESTION = ("QUESTION", "Pertanyaan", "Question")
    COMMENT = ("COMMENT", "Komentar", "Comment")


class PostState(LabelledEnum):
    """Whether a thread's or reply's text is shown: deleted and hidden posts leave a placeholder."""

    VISIBLE = ("VISIBLE", "Tampil", "Visible")
    DELETED = ("DELETED", "Dihapus penulis", "Deleted by its author")
    HIDDEN = ("HIDDEN", "Disembunyikan moderator", "Hidden by a moderator")


class ActivityKind(LabelledEnum):
    """What happened in a discussion that someone must be told of (the activity outbox)."""

    QUESTION_ASKED = ("QUESTION_ASKED", "Pertanyaan baru", "New question")
    COMMENT_POSTED = ("COMMENT_POSTED", "Komentar baru", "New comment")
    REPLY_POSTED = ("REPLY_POSTED", "Balasan baru", "New reply")
    ANSWER_ACCEPTED = ("ANSWER_ACCEPTED", "Jawaban diterima", "Answer accepted")
    ORGANIZATION_MENTIONED = ("ORGANIZATION_MENTIONED", "Organisasi disebut", "Organization mentioned")
    WAITLIST_PROMOTED = ("WAITLIST_PROMOTED", "Dapat kursi dari daftar tunggu", "Off the waiting list")
    EVENT_CHANGED = ("EVENT_CHANGED", "Kegiatan berubah", "Event changed")
    EVENT_CANCELLED = ("EVENT_CANCELLED", "Kegiatan dibatalkan", "Event cancelled")
    REVIEW_STEP = ("REVIEW_STEP", "Tahap peninjauan", "Review step")
    ITEM_PUBLISHED = ("ITEM_PUBLISHED", "Konten terbit", "Item published")
    EXCHANGE_REQUESTED = ("EXCHANGE_REQUESTED", "Permintaan kunjungan baru", "Exchange requested")
    EXCHANGE_STEP = ("EXCHANGE_STEP", "Permintaan kunjungan berlanjut", "Exchange step")


class EventKind(LabelledEnum):
    TRAINING = ("TRAINING", "Pelatihan", "Training")
    WORKSHOP = ("WORKSHOP", "Lokakarya", "Workshop")
    WEBINAR = ("WEBINAR", "Webinar", "Webinar")
    STUDY_FORUM = ("STUDY_FORUM", "Forum belajar", "Study forum")
    ASSOCIATION_MEETING = ("ASSOCIATION_MEETING", "Rapat asosiasi", "Association meeting")


class EventStatus(LabelledEnum):
    DRAFT = ("DRAFT", "Draf", "Draft")
    PUBLISHED = ("PUBLISHED", "Terbit", "Published")
    CANCELLED = ("CANCELLED", "Dibatalkan", "Cancelled")
    FINISHED = ("FINISHED", "Selesai", "Finished")


class RegistrationStatus(LabelledEnum):
    REGISTERED = ("REGISTERED", "Terdaftar", "Registered")
    WAITLISTED = ("WAITLISTED", "Daftar tunggu", "On the waiting list")
    CANCELLED = ("CANCELLED", "Dibatalkan", "Cancelled")


class FollowKind(LabelledEnum):
    """What a user follows: a theme, a region (everything below it too), an organization, an item."""

    THEME = ("THEME", "Tema", "Theme")
    REGION = ("REGION", "Wilayah", "Region")
    ORGANIZATION = ("ORGANIZATION", "Organisasi", "Organization")
    PRACTICE = ("PRACTICE", "Praktik baik", "Practice")
    CASE_STUDY = ("CASE_STUDY", "Studi kasus", "Case study")
    PARTNERSHIP = ("PARTNERSHIP", "Kemitraan", "Partnership")
    REPLICATION = ("REPLICATION", "Replikasi", "Replication")
    THREAD = ("THREAD", "Diskusi", "Discussion")
    EVENT = ("EVENT", "Kegiatan", "Event")


class NotificationReason(LabelledEnum):
    """Why someone is told of something (each can be muted in the user's settings)."""

    ANSWER_TO_MY_QUESTION = (
        "ANSWER_TO_MY_QUESTION",
        "Jawaban atas pertanyaan Anda",
        "An answer to your question",
    )
    REPLY_IN_FOLLOWED_THREAD = (
        "REPLY_IN_FOLLOWED_THREAD",
        "Balasan di diskusi yang Anda ikuti",
        "A reply in a thread you follow",
    )
    REPLY_TO_MY_POST = ("REPLY_TO_MY_POST", "Balasan atas tulisan Anda", "A reply quoting your post")
    ANSWER_ACCEPTED = ("ANSWER_ACCEPTED", "Jawaban diterima", "An answer was accepted")
    ORGANIZATION_MENTIONED = (
        "ORGANIZATION_MENTIONED",
        "Organisasi Anda disebut",
        "Your organization was mentioned",
    )
    NEW_QUESTION_ON_MY_ITEM = (
        "NEW_QUESTION_ON_MY_ITEM",
        "Pertanyaan baru untuk organisasi Anda",
        "A new question on your organization's item",
    )
    NEW_COMMENT_ON_MY_ITEM = (
        "NEW_COMMENT_ON_MY_ITEM",
        "Komentar baru untuk organisasi Anda",
        "A new comment on your organization's item",
    )
    EXCHANGE_REQUESTED = (
        "EXCHANGE_REQUESTED",
        "Permintaan kunjungan/mentoring baru",
        "A new exchange request",
    )
    EXCHANGE_STEP = ("EXCHANGE_STEP", "Perkembangan permintaan kunjungan", "An exchange request moved on")
    REVIEW_STEP = ("REVIEW_STEP", "Tahap peninjauan konten", "A review step on your content")
    NEW_ITEM_FOLLOWED = ("NEW_ITEM_FOLLOWED", "Konten baru yang Anda ikuti", "New content you follow")
    WAITLIST_PROMOTED = ("WAITLIST_PROMOTED", "Anda mendapat kursi", "You are off the waiting list")
    EVENT_CHANGED = ("EVENT_CHANGED", "Kegiatan berubah", "An event changed")
    EVENT_CANCELLED = ("EVENT_CANCELLED", "Kegiatan dibatalkan", "An event was cancelled")


class DigestFrequency(LabelledEnum):
    NONE = ("NONE", "Tidak usah", "None")
    DAILY = ("DAILY", "Harian", "Daily")
    WEEKLY = ("WEEKLY", "Mingguan", "Weekly")


class Language(LabelledEnum):
    ID = ("ID", "Bahasa Indonesia", "Indonesian")
    EN = ("EN", "English", "English")


# The months by language, January first: dates in mails and the labels of the search's MONTH facet.
MONTH_NAMES: dict[Language, tuple[str, ...]] = {
    Language.ID: (
        "Januari",
        "Februari",
        "Maret",
        "April",
        "Mei",
        "Juni",
        "Juli",
        "Agustus",
        "September",
        "Oktober",
        "November",
        "Desember",
    ),
    Language.EN: (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


class ReportReason(LabelledEnum):
    SPAM = ("SPAM", "Spam atau iklan", "Spam or advertising")
    ABUSIVE = ("ABUSIVE", "Kasar atau menyerang", "Abusive or harassing")
    OFF_TOPIC = ("OFF_TOPIC", "Di luar topik", "Off topic")
    PERSONAL_DATA = ("PERSONAL_DATA", "Memuat data pribadi", "Exposes personal data")
    MISINFORMATION = ("MISINFORMATION", "Informasi menyesatkan", "Misleading information")
    OTHER = ("OTHER", "Lainnya", "Other")


class ReportStatus(LabelledEnum):
    OPEN = ("OPEN", "Terbuka", "Open")
    RESOLVED = ("RESOLVED", "Ditindaklanjuti", "Acted on: the post was hidden")
    DISMISSED = ("DISMISSED", "Ditolak", "Dismissed")


class ExchangeKind(LabelledEnum):
    """What a government asks of the organization behind a practice or a partnership."""

    STUDY_VISIT = ("STUDY_VISIT", "Kunjungan belajar", "Study visit")
    MENTORING = ("MENTORING", "Pendampingan/mentoring", "Mentoring")
    DOCUMENTS = ("DOCUMENTS", "Berbagi dokumen", "Document sharing")


class ExchangeState(LabelledEnum):
    """Where a peer exchange stands (see resolvers/exchanges.py for the steps between them)."""

    REQUESTED = ("REQUESTED", "Diminta", "Requested")
    ACCEPTED = ("ACCEPTED", "Diterima", "Accepted")
    DECLINED = ("DECLINED", "Ditolak", "Declined")
    SCHEDULED = ("SCHEDULED", "Dijadwalkan", "Scheduled")
    COMPLETED = ("COMPLETED", "Selesai", "Completed")
    CANCELLED = ("CANCELLED", "Dibatalkan", "Cancelled")


class ExchangeSubjectKind(LabelledEnum):
    """What an exchange is about."""

    PRACTICE = ("PRACTICE", "Praktik baik", "Practice")
    PARTNERSHIP = ("PARTNERSHIP", "Kemitraan", "Partnership")


class IndicatorDirection(LabelledEnum):
    """Which way an indicator must move: stunting prevalence down, active customers up."""

    INCREASE = ("INCREASE", "Naik", "Increase")
    DECREASE = ("DECREASE", "Turun", "Decrease")


class PeriodGranularity(LabelledEnum):
    MONTH = ("MONTH", "Bulan", "Month")
    QUARTER = ("QUARTER", "Triwulan", "Quarter")
    YEAR = ("YEAR", "Tahun", "Year")


class IndicatorTrend(LabelledEnum):
    IMPROVING = ("IMPROVING", "Membaik", "Improving")
    WORSENING = ("WORSENING", "Memburuk", "Worsening")
    STABLE = ("STABLE", "Stabil", "Stable")
    INSUFFICIENT_DATA = ("INSUFFICIENT_DATA", "Data belum cukup", "Insufficient data")
