package testenv

// The test company's directory (suffix dc=example,dc=com), for
// SlapdOptions.LDIF.
const (
	// LDAPServiceDN and LDAPServicePassword are the account authgate binds
	// as; anonymous users can read nothing.
	LDAPServiceDN       = "cn=authgate,ou=svc,dc=example,dc=com"
	LDAPServicePassword = "svc-password"
	// LDAPPeople and LDAPGroups are the search bases.
	LDAPPeople = "ou=people,dc=example,dc=com"
	LDAPGroups = "ou=groups,dc=example,dc=com"
)

// CompanyLDIF holds:
//   - alice@example.com in devs; devs is a member of platform (nested);
//     devs also names a former employee's entry that is gone;
//   - bob@example.com in ops and admins;
//   - carol@example.com in cycle-a and cycle-b only, which hold each other;
//   - x*y@example.com, p(q)@example.com and back\slash@example.com, whose
//     addresses hold filter metacharacters;
//   - two entries that share twin@example.com.
const CompanyLDIF = `
dn: ou=people,dc=example,dc=com
objectClass: organizationalUnit
ou: people

dn: ou=groups,dc=example,dc=com
objectClass: organizationalUnit
ou: groups

dn: ou=svc,dc=example,dc=com
objectClass: organizationalUnit
ou: svc

dn: cn=authgate,ou=svc,dc=example,dc=com
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: authgate
userPassword: svc-password

dn: uid=alice,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: alice
cn: Alice Liddell
sn: Liddell
mail: alice@example.com

dn: uid=bob,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: bob
cn: Bob Builder
sn: Builder
mail: Bob@Example.com

dn: uid=carol,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: carol
cn: Carol Danvers
sn: Danvers
mail: carol@example.com

dn: uid=star,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: star
cn: Star
sn: Star
mail: x*y@example.com

dn: uid=paren,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: paren
cn: Paren
sn: Paren
mail: p(q)@example.com

dn: uid=backslash,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: backslash
cn: Backslash
sn: Backslash
mail: back\slash@example.com

dn: uid=twin1,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: twin1
cn: Twin One
sn: One
mail: twin@example.com

dn: uid=twin2,ou=people,dc=example,dc=com
objectClass: inetOrgPerson
uid: twin2
cn: Twin Two
sn: Two
mail: twin@example.com

dn: cn=devs,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: devs
member: uid=alice,ou=people,dc=example,dc=com
member: uid=former,ou=people,dc=example,dc=com

dn: cn=platform,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: platform
member: cn=devs,ou=groups,dc=example,dc=com

dn: cn=ops,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: ops
member: uid=bob,ou=people,dc=example,dc=com

dn: cn=Admins,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: Admins
member: uid=bob,ou=people,dc=example,dc=com

dn: cn=cycle-a,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: cycle-a
member: uid=carol,ou=people,dc=example,dc=com
member: cn=cycle-b,ou=groups,dc=example,dc=com

dn: cn=cycle-b,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: cycle-b
member: cn=cycle-a,ou=groups,dc=example,dc=com

dn: cn=empty,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: empty
member: cn=nobody,dc=example,dc=com
`
