"""Declared host state: what a configuration source (an Ansible playbook, cloud-init
user-data) says the host should be, compared with what it is."""
