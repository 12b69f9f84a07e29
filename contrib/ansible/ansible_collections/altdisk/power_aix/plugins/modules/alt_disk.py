#!/usr/bin/python
# -*- coding: utf-8 -*-
# Part of altdisk (contrib/ansible). Drives the altdisk binary through its --json output (docs/json.md).

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: alt_disk
short_description: Alternate rootvg disk copy, install and cleanup with altdisk.
description:
- Copies the rootvg of a modelled AIX host to an alternate disk, installs software into an existing
  alternate rootvg, or removes an alternate rootvg, by running the altdisk commands C(alt_disk_copy) and
  C(alt_rootvg_op) with C(--json).
- Takes the parameters of the C(alt_disk) module of IBM's C(ibm.power_aix) collection, so a playbook written
  for it runs with only the collection name changed.
- The altdisk binary is C($ALTDISK) when set, else C(altdisk) on the PATH. The host is the one every altdisk
  AIX command works on, C($ALTDISK_HOST) (set it with the C(environment) keyword of a play or task).
- Idempotent. A copy when an alternate rootvg already exists on the requested disks, a clean when there is
  none and an install of software the alternate rootvg already has report C(changed=false).
version_added: '0.1.0'
author:
- altdisk project
requirements:
- altdisk (the binary of this repository)
options:
  action:
    description:
    - C(copy) clones the rootvg onto I(targets) (or a disk chosen by I(disk_size_policy)).
    - C(clean) removes the alternate rootvg (C(alt_rootvg_op -X)).
    - C(install) installs a bundle, fixes or filesets into the existing alternate rootvg
      (C(alt_rootvg_op -C)).
    type: str
    choices: [ copy, clean, install ]
    default: copy
  targets:
    description:
    - The target disks. With I(action=copy) either I(targets) or I(disk_size_policy) must be given.
    - With I(action=clean) only these disks, which must belong to the alternate rootvg, are cleaned.
    type: list
    elements: str
  disk_size_policy:
    description:
    - With I(action=copy) and no I(targets), how to choose one free disk big enough for the used part of
      the rootvg.
    - C(minimize) the smallest such disk.
    - C(upper) the smallest disk at least as big as the rootvg.
    - C(lower) the biggest disk smaller than the rootvg (else the smallest bigger one).
    - C(nearest) the disk whose size is closest to the rootvg's.
    - A disk exactly as big as the rootvg is chosen by every policy except C(minimize).
    type: str
    choices: [ minimize, upper, lower, nearest ]
  existing_altinst_rootvg:
    description:
    - With I(action=install), the disk of the alternate rootvg to install into (it must be one).
    type: str
  force:
    description:
    - With I(action=copy), remove an existing alternate rootvg (and old_rootvg with I(allow_old_rootvg))
      first and copy again. With I(action=install), wake an alternate rootvg at a newer level than the
      running system (C(FORCE=yes)).
    type: bool
    default: false
  bootlist:
    description:
    - With I(action=copy), set the bootlist to the new alternate disk (otherwise C(-B)).
    type: bool
    default: false
  remain_nim_client:
    description:
    - With I(action=copy), copy C(/.rhosts) and C(/etc/niminfo) to the clone (C(-n)).
    type: bool
    default: false
  device_reset:
    description:
    - With I(action=copy), reset user-defined device configurations on the clone (C(-O)).
    type: bool
    default: false
  first_boot_script:
    description:
    - With I(action=copy), a script run at the clone's first boot (C(-x)).
    type: str
  resolvconf:
    description:
    - With I(action=copy), the C(resolv.conf) that replaces the clone's (C(-R)).
    type: str
  image_location:
    description:
    - The installp images to install from (C(-l)). Needed by I(action=install); with I(action=copy) the
      software is installed into the clone in phase 2.
    type: str
  bundle_name:
    description:
    - A bundle file listing the filesets to install (C(-b)). Needs I(image_location).
    type: str
  apar_fixes:
    description:
    - A file listing the APARs to install (C(-f)). Needs I(image_location).
    type: str
  filesets:
    description:
    - Filesets to install, separated by blanks (C(-w)). Needs I(image_location).
    type: str
  installp_flags:
    description:
    - installp flags for the install (C(-I)), e.g. C(acgX).
    type: str
  allow_old_rootvg:
    description:
    - Also clean (or, with I(force), replace on copy) an C(old_rootvg).
    type: bool
    default: false
notes:
- Supports check mode; it reports the chosen disks and whether anything would change, and changes nothing.
'''

EXAMPLES = r'''
- name: Copy the rootvg to the smallest disk that can hold it
  altdisk.power_aix.alt_disk:
    action: copy
    disk_size_policy: minimize
  environment:
    ALTDISK_HOST: /srv/hosts/lpar1

- name: Copy the rootvg to hdisk1 and boot from it next time
  altdisk.power_aix.alt_disk:
    targets: hdisk1
    bootlist: true

- name: Install a technology level into the alternate rootvg
  altdisk.power_aix.alt_disk:
    action: install
    image_location: /export/tl5/images
    bundle_name: /export/tl5/TL5.bnd

- name: Remove the alternate rootvg
  altdisk.power_aix.alt_disk:
    action: clean
'''

RETURN = r'''
msg:
    description: What was done, or why it failed.
    returned: always
    type: str
    sample: 'alt_disk copy operation completed successfully'
targets:
    description: The disks of the alternate rootvg the action worked on (the chosen disks for a copy).
    returned: always
    type: list
    elements: str
    sample: ['hdisk1']
log:
    description: The host's alt_disk_inst.log, as altdisk reports it.
    returned: when a copy ran
    type: str
rc:
    description: Exit code of the last altdisk command run.
    returned: when a command ran
    type: int
cmd:
    description: The last altdisk command line run.
    returned: when a command ran
    type: str
stdout:
    description: The text of the commands run (their message lines).
    returned: always
    type: str
stdout_lines:
    description: I(stdout) split into lines.
    returned: always
    type: list
    elements: str
stderr:
    description: The standard error of the commands run.
    returned: always
    type: str
stderr_lines:
    description: I(stderr) split into lines.
    returned: always
    type: list
    elements: str
result:
    description: The C(result) of the last command's C(done) line (docs/json.md).
    returned: when a command ran
    type: dict
'''

import json
import os
import shlex

from ansible.module_utils.basic import AnsibleModule


class Altdisk(object):
    """Runs altdisk commands with --json and keeps what the module returns."""

    def __init__(self, module):
        self.module = module
        self.res = dict(changed=False, failed=False, msg='', targets=[], stdout='', stdout_lines=[],
                        stderr='', stderr_lines=[])
        self.binary = os.environ.get('ALTDISK') or module.get_bin_path('altdisk')
        if not self.binary:
            self.fail('altdisk not found: put it on the PATH or name it in the ALTDISK environment variable')

    def fail(self, msg):
        self.res['msg'] = msg
        self.res['failed'] = True
        self.module.fail_json(**self.res)

    def finish(self, msg, changed):
        self.res['msg'] = msg
        self.res['changed'] = changed
        self.module.exit_json(**self.res)

    def run(self, name, args, record=True, env=None):
        """Runs `altdisk NAME ARGS --json`; returns (rc, done result, fatal error texts, message lines)."""
        cmd = [self.binary, name] + list(args) + ['--json']
        rc, out, err = self.module.run_command(cmd, environ_update=env or {})
        result, errors, text = {}, [], []
        for line in out.splitlines():
            try:
                ev = json.loads(line)
            except ValueError:
                text.append(line)
                continue
            kind = ev.get('event')
            if kind == 'message':
                text.append(ev.get('text', ''))
            elif kind == 'warning':
                text.append('warning: ' + ev.get('text', ''))
            elif kind == 'error' and ev.get('fatal'):
                errors.append(ev.get('text', ''))
            elif kind == 'done':
                result = ev.get('result') or {}
        if record:
            self.res['rc'] = rc
            self.res['cmd'] = ' '.join(shlex.quote(c) for c in [name] + list(args))
            self.res['result'] = result
            self.res['stdout_lines'] += text
            self.res['stdout'] = '\n'.join(self.res['stdout_lines'])
            self.res['stderr_lines'] += err.splitlines()
            self.res['stderr'] = '\n'.join(self.res['stderr_lines'])
            if result.get('log'):
                self.res['log'] = result['log']
        return rc, result, errors, text

    def must(self, name, args, env=None):
        """Runs a command that must succeed: a failure ends the module with altdisk's own reason as msg."""
        rc, result, errors, _ = self.run(name, args, env=env)
        if rc != 0:
            why = '; '.join(errors) or 'return code {0}'.format(rc)
            self.fail("Command '{0}' failed: {1}".format(self.res['cmd'], why))
        return result

    def query(self, name, args):
        """Runs a view (lspv, lsvg, ...) whose result the module needs."""
        rc, result, errors, _ = self.run(name, args, record=False)
        if rc != 0:
            self.fail("Command '{0}' failed: {1}".format(
                ' '.join([name] + list(args)), '; '.join(errors) or 'return code {0}'.format(rc)))
        return result

    def disks(self):
        return self.query('lspv', []).get('disks', [])


def split_words(values):
    """`['hdisk1 hdisk2', 'hdisk3']` -> `['hdisk1', 'hdisk2', 'hdisk3']`: AIX lists are blank-separated."""
    out = []
    for v in values or []:
        out.extend(str(v).split())
    return out


def in_vg(disks, vg):
    return [d['name'] for d in disks if d.get('vg') == vg]


def rootvg_sizes(ad, disks):
    """(total MB of the rootvg's disks, MB its logical volumes use)."""
    total = sum(d.get('size_mb', 0) for d in disks if d.get('vg') == 'rootvg')
    vg = ad.query('lsvg', ['rootvg']).get('vg') or {}
    pp = vg.get('pp_size_mb', 0)
    used = sum(lv.get('lps', 0) * max(lv.get('copies', 1), 1) for lv in vg.get('lvs', [])) * pp
    return total, used


def choose_disk(free, policy, rootvg_mb, used_mb):
    """One free disk by policy: candidates hold at least `used_mb`; sizes compare with the rootvg's.
    Returns its name or None."""
    fits = sorted((d for d in free if d.get('size_mb', 0) >= used_mb),
                  key=lambda d: (d.get('size_mb', 0), d['name']))
    if not fits:
        return None
    if policy == 'minimize':
        return fits[0]['name']
    smaller = [d for d in fits if d['size_mb'] < rootvg_mb]
    bigger = [d for d in fits if d['size_mb'] >= rootvg_mb]
    if bigger and bigger[0]['size_mb'] == rootvg_mb:
        return bigger[0]['name']
    below = smaller[-1] if smaller else None
    above = bigger[0] if bigger else None
    if below is None or above is None:
        return (above or below)['name']
    if policy == 'upper':
        return above['name']
    if policy == 'lower':
        return below['name']
    # nearest: the closer one; a tie goes to the smaller disk
    if above['size_mb'] - rootvg_mb < rootvg_mb - below['size_mb']:
        return above['name']
    return below['name']


def software_args(p):
    """-l/-b/-f/-w/-I for alt_disk_copy and alt_rootvg_op -C, the first of bundle, fixes, filesets."""
    args = ['-l', p['image_location']]
    if p['bundle_name']:
        args += ['-b', p['bundle_name']]
    elif p['apar_fixes']:
        args += ['-f', p['apar_fixes']]
    elif p['filesets']:
        args += ['-w', p['filesets']]
    if p['installp_flags']:
        args += ['-I', p['installp_flags']]
    return args


def check_software(ad, p):
    if not p['image_location']:
        ad.fail('Please provide the image location.')
    if not (p['bundle_name'] or p['apar_fixes'] or p['filesets']):
        ad.fail('Please provide bundle_name or apar_fixes or filesets')


def action_copy(ad, p, check):
    targets = split_words(p['targets'])
    policy = p['disk_size_policy']
    if not targets and not policy:
        ad.fail('Either targets or disk_size_policy must be specified')
    if p['image_location'] or p['bundle_name'] or p['apar_fixes'] or p['filesets']:
        check_software(ad, p)
    disks = ad.disks()
    names = [d['name'] for d in disks]
    unknown = [t for t in targets if t not in names]
    if unknown:
        ad.fail('Alternate disk {0} is either not found or not available'.format(' '.join(unknown)))
    alt = in_vg(disks, 'altinst_rootvg')
    old = in_vg(disks, 'old_rootvg') if p['allow_old_rootvg'] else []
    if alt and not p['force']:
        if not targets or sorted(targets) == sorted(alt):
            ad.res['targets'] = alt
            ad.finish('An alternate disk copy already exists on {0}: nothing to do (force: true copies '
                      'again)'.format(' '.join(alt)), False)
        ad.fail('An alternate disk already exists on disk {0}'.format(' '.join(alt)))
    if old and not p['force']:
        ad.fail('An old rootvg already exists on disk {0}'.format(' '.join(old)))

    removed = alt + old
    if removed and not check:
        if alt:
            ad.must('alt_rootvg_op', ['-X', 'altinst_rootvg'])
        if old:
            ad.must('alt_rootvg_op', ['-X', 'old_rootvg'])
        ad.res['changed'] = True
        disks = ad.disks()
        removed = []
    free = [d for d in disks if d.get('vg') is None or d['name'] in removed]

    rootvg_mb, used_mb = rootvg_sizes(ad, disks)
    if targets:
        by_name = dict((d['name'], d) for d in free)
        busy = [t for t in targets if t not in by_name]
        if busy:
            ad.fail('Alternate disk {0} is either not found or not available'.format(' '.join(busy)))
        size = sum(by_name[t].get('size_mb', 0) for t in targets)
        if size < used_mb:
            ad.fail('Alternate disks too small ({0} MB < {1} MB used in rootvg).'.format(size, used_mb))
    else:
        if not free:
            ad.fail('No free disk available')
        chosen = choose_disk(free, policy, rootvg_mb, used_mb)
        if chosen is None:
            ad.fail('No available alternate disk with size greater than {0} MB found'.format(used_mb))
        targets = [chosen]
    ad.res['targets'] = targets

    args = ['-d', ' '.join(targets)]
    if not p['bootlist']:
        args.append('-B')
    if p['remain_nim_client']:
        args.append('-n')
    if p['device_reset']:
        args.append('-O')
    if p['first_boot_script']:
        args += ['-x', p['first_boot_script']]
    if p['resolvconf']:
        args += ['-R', p['resolvconf']]
    if p['image_location']:
        args += software_args(p)
    if check:
        ad.res['cmd'] = ' '.join(shlex.quote(a) for a in ['alt_disk_copy'] + args)
        ad.finish('Check mode: would copy the rootvg to {0}'.format(' '.join(targets)), True)
    result = ad.must('alt_disk_copy', args)
    ad.res['targets'] = result.get('targets') or targets
    ad.finish('alt_disk copy operation completed successfully', True)


def action_clean(ad, p, check):
    targets = split_words(p['targets'])
    disks = ad.disks()
    vg_of = dict((d['name'], d.get('vg')) for d in disks)
    allowed = ['altinst_rootvg'] + (['old_rootvg'] if p['allow_old_rootvg'] else [])
    if targets:
        for t in targets:
            if vg_of.get(t) not in allowed:
                ad.fail('Specified disk {0} is not an alternate install rootvg'.format(t))
        vgs = sorted(set(vg_of[t] for t in targets))
        # A volume group is removed whole: every disk of it is cleaned, not only the ones named.
        targets = [d['name'] for d in disks if d.get('vg') in vgs]
    else:
        vgs = [vg for vg in allowed if in_vg(disks, vg)]
        targets = [d['name'] for d in disks if d.get('vg') in vgs]
    ad.res['targets'] = targets
    if not vgs:
        ad.finish('There is no alternate install rootvg. alt_disk clean operation completed successfully',
                  False)
    if check:
        ad.finish('Check mode: would remove {0} on {1}'.format(' and '.join(vgs), ' '.join(targets)), True)
    for vg in vgs:
        ad.must('alt_rootvg_op', ['-X', vg])
    ad.finish('alt_disk clean operation completed successfully', True)


def clone_tree(ad, disk):
    """The alternate rootvg's tree on the modelled host (docs: host-model), for an installp preview; None when
    the host directory is not known."""
    host = os.environ.get('ALTDISK_HOST')
    if not host:
        return None
    q = ad.query('alt_rootvg_op', ['-q', '-d', disk])
    boot = q.get('boot_disk') or disk
    vg = [v for v in q.get('vgs', []) if v.get('name') == 'altinst_rootvg']
    if vg and vg[0].get('varied_on'):
        tree = os.path.join(host, 'root', 'alt_inst')
    else:
        tree = os.path.join(host, 'disks', boot)
    return tree if os.path.isdir(tree) else None


def action_install(ad, p, check):
    check_software(ad, p)
    disks = ad.disks()
    alt = in_vg(disks, 'altinst_rootvg')
    if not alt:
        ad.fail('There is no alternate install rootvg to install into: run action copy first')
    wanted = split_words([p['existing_altinst_rootvg']] if p['existing_altinst_rootvg'] else [])
    for d in wanted:
        if d not in alt:
            ad.fail('Specified disk {0} is not an alternate install rootvg'.format(d))
    ad.res['targets'] = alt
    # Idempotence: an installp preview on the clone's tree says whether anything is left to install.
    pending = None
    # Only a bundle or a fileset list can be previewed (fixes go by APAR); the bundle comes first, as in -C.
    previewable = p['bundle_name'] or (p['filesets'] and not p['apar_fixes'])
    tree = clone_tree(ad, alt[0]) if previewable else None
    if tree:
        args = ['-acgXp', '-d', p['image_location'], '-R', tree]
        args += ['-f', p['bundle_name']] if p['bundle_name'] else p['filesets'].split()
        rc, result, _, _ = ad.run('installp', args, record=False)
        if rc == 0 and 'to_install' in result:
            pending = result['to_install']
    if pending == 0:
        ad.finish('Nothing to install: the alternate rootvg on {0} already has it'.format(' '.join(alt)), False)
    args = ['-C'] + software_args(p)
    if check:
        ad.res['cmd'] = ' '.join(shlex.quote(a) for a in ['alt_rootvg_op'] + args)
        ad.finish('Check mode: would install into the alternate rootvg on {0}'.format(' '.join(alt)), True)
    ad.must('alt_rootvg_op', args, env={'FORCE': 'yes'} if p['force'] else None)
    ad.finish('alt_disk install operation completed successfully', True)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            action=dict(type='str', choices=['copy', 'clean', 'install'], default='copy'),
            targets=dict(type='list', elements='str'),
            disk_size_policy=dict(type='str', choices=['minimize', 'upper', 'lower', 'nearest']),
            existing_altinst_rootvg=dict(type='str'),
            bundle_name=dict(type='str'),
            apar_fixes=dict(type='str'),
            filesets=dict(type='str'),
            installp_flags=dict(type='str'),
            image_location=dict(type='str'),
            force=dict(type='bool', default=False),
            bootlist=dict(type='bool', default=False),
            remain_nim_client=dict(type='bool', default=False),
            device_reset=dict(type='bool', default=False),
            first_boot_script=dict(type='str'),
            resolvconf=dict(type='str'),
            allow_old_rootvg=dict(type='bool', default=False),
        ),
        mutually_exclusive=[['targets', 'disk_size_policy']],
        supports_check_mode=True,
    )
    ad = Altdisk(module)
    action = module.params['action']
    if action == 'copy':
        action_copy(ad, module.params, module.check_mode)
    elif action == 'clean':
        action_clean(ad, module.params, module.check_mode)
    else:
        action_install(ad, module.params, module.check_mode)


if __name__ == '__main__':
    main()
