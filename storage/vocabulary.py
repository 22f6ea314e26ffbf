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
    EXCHANGE_REQUESTED = ("EXCHANGE_REQUESTED", "Pertukaran diminta", "Exchange requested")
    EXCHANGE_ACCEPTED = ("EXCHANGE_ACCEPTED", "Pertukaran diterima", "Exchange accepted")
    EXCHANGE_DECLINED = ("EXCHANGE_DECLINED", "Pertukaran ditolak", "Exchange declined")
    EXCHANGE_SCHEDULED = ("EXCHANGE_SCHEDULED", "Pertukaran dijadwalkan", "Exchange scheduled")
    EXCHANGE_COMPLETED = ("EXCHANGE_COMPLETED", "Pertukaran selesai", "Exchange completed")
    EXCHANGE_CANCELLED = ("EXCHANGE_CANCELLED", "Pertukaran dibatalkan", "Exchange cancelled")
    EXCHANGE_CONVERTED = ("EXCHANGE_CONVERTED", "Dijadikan replikasi", "Turned into a replication")


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
