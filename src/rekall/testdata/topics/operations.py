"""Operations: GitHub Actions, AWS, Prometheus and Ansible."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="GitHub Actions",
        domain="devops",
        tags=("github-actions", "ci", "devops"),
        lang="yaml",
        config_lang="yaml",
        nouns=(
            "workflow cache",
            "matrix build",
            "reusable workflow",
            "OIDC token",
            "concurrency group",
            "self-hosted runner",
        ),
        errors=(
            "Error: Process completed with exit code 137.",
            "Resource not accessible by integration",
            "The job running on runner GitHub Actions 12 has exceeded the maximum execution "
            "time of 360 minutes.",
            "Error: Unable to resolve action `actions/checkout@v5`, unable to find version `v5`",
        ),
        howtos=(
            (
                "cancel outdated runs of a branch",
                "concurrency: { group: ${{ github.ref }}, cancel-in-progress: true }",
            ),
            ("debug a failing step", "gh secret set ACTIONS_STEP_DEBUG --body true"),
            ("run a workflow locally", "act -j test"),
            ("rerun only failed jobs", "gh run rerun 1234567 --failed"),
            ("list recent runs of a workflow", "gh run list --workflow ci.yml --limit 5"),
        ),
        settings=(
            ("permissions.contents", "read", "least privilege for the token"),
            ("timeout-minutes", "20", "a hung test no longer burns six hours"),
            ("strategy.fail-fast", "false", "see every failing matrix cell"),
        ),
        gotchas=(
            "workflows triggered by pull_request from forks get no secrets",
            "a cache key without the lockfile hash restores stale dependencies",
            "the GITHUB_TOKEN cannot trigger another workflow run",
        ),
        code=(
            "jobs:\n"
            "  test:\n"
            "    runs-on: ubuntu-latest\n"
            "    strategy:\n"
            "      matrix:\n"
            '        python: ["3.10", "3.11", "3.12"]\n'
            "    steps:\n"
            "      - uses: actions/checkout@v4\n"
            "      - uses: actions/setup-python@v5\n"
            "        with: { python-version: ${{ matrix.python }}, cache: pip }\n"
            "      - run: pip install -e .[dev] && pytest -q",
            "permissions:\n"
            "  id-token: write\n"
            "  contents: read\n"
            "steps:\n"
            "  - uses: aws-actions/configure-aws-credentials@v4\n"
            "    with:\n"
            "      role-to-assume: arn:aws:iam::123456789012:role/deploy\n"
            "      aws-region: eu-west-1",
        ),
        alts=("GitLab CI", "Jenkins"),
    ),
    Tech(
        name="AWS",
        domain="devops",
        tags=("aws", "cloud", "devops"),
        lang="bash",
        config_lang="json",
        nouns=(
            "IAM policy",
            "S3 bucket policy",
            "Lambda cold start",
            "security group",
            "RDS parameter group",
            "CloudWatch alarm",
        ),
        errors=(
            "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied",
            "An error occurred (ThrottlingException): Rate exceeded",
            "Task timed out after 30.03 seconds",
            "The security token included in the request is expired",
        ),
        howtos=(
            ("check which identity the CLI uses", "aws sts get-caller-identity"),
            ("sync a folder to S3", "aws s3 sync ./dist s3://acme-site --delete"),
            ("tail Lambda logs", "aws logs tail /aws/lambda/resize --follow"),
            (
                "simulate an IAM policy",
                "aws iam simulate-principal-policy --policy-source-arn $ROLE "
                "--action-names s3:PutObject",
            ),
            (
                "list running instances",
                "aws ec2 describe-instances --filters Name=instance-state-name,Values=running",
            ),
        ),
        settings=(
            ('"Effect"', '"Allow"', "paired with the narrowest Action list that works"),
            ('"Resource"', '"arn:aws:s3:::acme-uploads/*"', "objects, not the bucket itself"),
            ('"Condition"', '{ "Bool": { "aws:SecureTransport": "true" } }', "HTTPS only"),
        ),
        gotchas=(
            "s3:ListBucket applies to the bucket ARN and s3:GetObject to the object ARN",
            "a Lambda in a VPC needs a NAT gateway to reach the internet",
            "deleting a CloudFormation stack can delete the data in its buckets and tables",
        ),
        code=(
            "aws s3api put-bucket-lifecycle-configuration --bucket acme-logs \\\n"
            "  --lifecycle-configuration file://lifecycle.json",
            "aws cloudwatch put-metric-alarm --alarm-name api-5xx \\\n"
            "  --metric-name HTTPCode_Target_5XX_Count --namespace AWS/ApplicationELB \\\n"
            "  --statistic Sum --period 60 --threshold 10 \\\n"
            "  --comparison-operator GreaterThanThreshold --evaluation-periods 3",
        ),
        alts=("GCP", "Azure"),
    ),
    Tech(
        name="Prometheus",
        domain="devops",
        tags=("prometheus", "monitoring", "observability"),
        lang="promql",
        config_lang="yaml",
        nouns=(
            "recording rule",
            "alert rule",
            "scrape config",
            "histogram bucket",
            "label cardinality",
            "remote write",
        ),
        errors=(
            'err="out of order sample"',
            "context deadline exceeded (scrape timeout)",
            "many-to-many matching not allowed: matching labels must be unique on one side",
            "query processing would load too many samples into memory",
        ),
        howtos=(
            (
                "compute the 95th percentile latency",
                "histogram_quantile(0.95, sum by (le) (rate(http_request_seconds_bucket[5m])))",
            ),
            ("find the series with most labels", 'topk(10, count by (__name__)({__name__=~".+"}))'),
            ("check rules before reload", "promtool check rules alerts.yml"),
            ("reload the config", "curl -X POST localhost:9090/-/reload"),
            (
                "compute the error ratio",
                'sum(rate(http_requests_total{code=~"5.."}[5m])) '
                "/ sum(rate(http_requests_total[5m]))",
            ),
        ),
        settings=(
            ("scrape_interval", "15s", "enough resolution for our alerts"),
            ("retention.time", "15d", "long-term data goes to remote storage"),
            ("for", "10m", "an alert must hold before it pages"),
        ),
        gotchas=(
            "a user id as a label creates one time series per user",
            "rate() over a window shorter than two scrapes returns nothing",
            "averaging percentiles across instances gives a meaningless number",
        ),
        code=(
            "groups:\n"
            "  - name: api\n"
            "    rules:\n"
            "      - alert: HighErrorRate\n"
            "        expr: job:http_errors:ratio5m > 0.05\n"
            "        for: 10m\n"
            "        labels: { severity: page }\n"
            "        annotations:\n"
            '          summary: "5xx above 5% for 10 minutes"',
            'sum by (route) (\n  rate(http_request_duration_seconds_count{job="api"}[5m])\n)',
        ),
        alts=("Datadog", "VictoriaMetrics"),
        code_langs=("yaml", "promql"),
    ),
    Tech(
        name="Ansible",
        domain="devops",
        tags=("ansible", "automation", "devops"),
        lang="yaml",
        config_lang="ini",
        nouns=(
            "inventory group",
            "handler",
            "vault file",
            "role defaults",
            "idempotent task",
            "fact cache",
        ),
        errors=(
            'UNREACHABLE! => {"changed": false, "msg": "Failed to connect to the host via '
            'ssh: Permission denied (publickey)."}',
            "ERROR! the role 'nginx' was not found",
            'fatal: [web1]: FAILED! => {"msg": "Missing sudo password"}',
            "ERROR! Attempting to decrypt but no vault secrets found",
        ),
        howtos=(
            ("dry-run a playbook with a diff", "ansible-playbook site.yml --check --diff"),
            ("run against one host", "ansible-playbook site.yml --limit web1"),
            ("edit an encrypted vars file", "ansible-vault edit group_vars/prod/vault.yml"),
            ("list the facts of a host", "ansible web1 -m setup | less"),
            ("start at a given task", "ansible-playbook site.yml --start-at-task='restart app'"),
        ),
        settings=(
            ("forks", "20", "faster runs over the whole fleet"),
            ("pipelining", "True", "fewer SSH round trips per task"),
            ("host_key_checking", "False", "only for the throwaway test VMs"),
        ),
        gotchas=(
            "the shell module reports changed on every run unless you set changed_when",
            "handlers run once at the end of the play, not where they are notified",
            "variables in group_vars/all lose to almost every other source",
        ),
        code=(
            "- name: Deploy config\n"
            "  ansible.builtin.template:\n"
            "    src: app.conf.j2\n"
            "    dest: /etc/app/app.conf\n"
            "    mode: '0640'\n"
            "  notify: restart app",
            "- name: Check migration status\n"
            "  ansible.builtin.command: /opt/app/bin/migrate status\n"
            "  register: migrate\n"
            "  changed_when: false",
        ),
        alts=("Salt", "shell scripts"),
    ),
)
