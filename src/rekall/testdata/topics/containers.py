"""Containers and infrastructure as code: Docker, Kubernetes and Terraform."""

from __future__ import annotations

from rekall.testdata.vocabulary import Tech

TECHS = (
    Tech(
        name="Docker",
        domain="devops",
        tags=("docker", "containers", "devops"),
        lang="dockerfile",
        config_lang="yaml",
        nouns=(
            "layer cache",
            "multi-stage build",
            "bind mount",
            "healthcheck",
            "build context",
            "bridge network",
        ),
        errors=(
            "Error response from daemon: driver failed programming external connectivity: "
            "Bind for 0.0.0.0:5432 failed: port is already allocated",
            'failed to solve: failed to compute cache key: "/app/requirements.txt" not found',
            "no space left on device",
            "exec /app/entrypoint.sh: exec format error",
            "permission denied while trying to connect to the Docker daemon socket",
        ),
        howtos=(
            ("reclaim disk space", "docker system prune -af --volumes"),
            ("see why the image is big", "docker history --no-trunc app:latest"),
            ("get a shell in a running container", "docker exec -it app sh"),
            (
                "build for ARM and x86",
                "docker buildx build --platform linux/amd64,linux/arm64 -t app .",
            ),
            ("follow logs of one service", "docker compose logs -f --tail=100 api"),
        ),
        settings=(
            ("restart", "unless-stopped", "survives host reboots, stays down when stopped"),
            ("healthcheck.interval", "10s", "depends_on waits for a healthy database"),
            ("logging.options.max-size", '"10m"', "json-file logs no longer fill the disk"),
        ),
        gotchas=(
            "COPY . . before installing dependencies busts the layer cache on every change",
            "a container's PID 1 does not get default signal handlers, so SIGTERM is ignored",
            "published ports bypass ufw rules on Linux",
        ),
        code=(
            "FROM python:3.11-slim AS build\n"
            "WORKDIR /app\n"
            "COPY requirements.txt .\n"
            "RUN pip wheel --wheel-dir /wheels -r requirements.txt\n\n"
            "FROM python:3.11-slim\n"
            "COPY --from=build /wheels /wheels\n"
            "RUN pip install --no-cache-dir /wheels/*\n"
            "COPY . /app\n"
            'CMD ["python", "-m", "app"]',
            "services:\n"
            "  db:\n"
            "    image: postgres:16\n"
            "    healthcheck:\n"
            '      test: ["CMD", "pg_isready", "-U", "app"]\n'
            "      interval: 5s\n"
            "  api:\n"
            "    build: .\n"
            "    depends_on:\n"
            "      db:\n"
            "        condition: service_healthy",
        ),
        alts=("Podman", "plain VMs"),
        code_langs=("dockerfile", "yaml"),
    ),
    Tech(
        name="Kubernetes",
        domain="devops",
        tags=("k8s", "kubernetes", "devops"),
        lang="yaml",
        config_lang="yaml",
        nouns=(
            "readiness probe",
            "resource limit",
            "ConfigMap",
            "rolling update",
            "horizontal pod autoscaler",
            "PersistentVolumeClaim",
        ),
        errors=(
            "Back-off restarting failed container (CrashLoopBackOff)",
            "0/3 nodes are available: 3 Insufficient memory.",
            'Failed to pull image "registry.example.com/api:1.4.2": ErrImagePull',
            "OOMKilled (exit code 137)",
            'Error from server (Forbidden): pods is forbidden: User cannot list resource "pods"',
        ),
        howtos=(
            ("see why a pod restarted", "kubectl describe pod api-7c9f -n prod"),
            ("read the logs of the crashed container", "kubectl logs api-7c9f --previous"),
            ("restart a deployment", "kubectl rollout restart deployment/api -n prod"),
            ("forward a port to a pod", "kubectl port-forward svc/api 8080:80"),
            ("list events by time", "kubectl get events --sort-by=.lastTimestamp -n prod"),
        ),
        settings=(
            ("resources.requests.memory", '"256Mi"', "what the scheduler reserves"),
            ("resources.limits.memory", '"512Mi"', "above this the pod is OOMKilled"),
            ("readinessProbe.periodSeconds", "5", "traffic stops quickly on a bad pod"),
        ),
        gotchas=(
            "a liveness probe that checks the database restarts every pod when the DB is slow",
            "a CPU limit throttles the pod even when the node is idle",
            "kubectl apply keeps fields you deleted from the manifest if they were set by hand",
        ),
        code=(
            "apiVersion: apps/v1\n"
            "kind: Deployment\n"
            "metadata:\n"
            "  name: api\n"
            "spec:\n"
            "  replicas: 3\n"
            "  strategy:\n"
            "    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 }\n"
            "  template:\n"
            "    spec:\n"
            "      containers:\n"
            "        - name: api\n"
            "          image: registry.example.com/api:1.4.2\n"
            "          readinessProbe:\n"
            "            httpGet: { path: /healthz, port: 8080 }",
            "apiVersion: autoscaling/v2\n"
            "kind: HorizontalPodAutoscaler\n"
            "metadata:\n"
            "  name: api\n"
            "spec:\n"
            "  scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: api }\n"
            "  minReplicas: 2\n"
            "  maxReplicas: 10\n"
            "  metrics:\n"
            "    - type: Resource\n"
            "      resource: { name: cpu, target: { type: Utilization, averageUtilization: 70 } }",
        ),
        alts=("Nomad", "ECS"),
    ),
    Tech(
        name="Terraform",
        domain="devops",
        tags=("terraform", "iac", "devops"),
        lang="hcl",
        config_lang="hcl",
        nouns=(
            "remote state",
            "state lock",
            "module",
            "provider version",
            "for_each",
            "import block",
        ),
        errors=(
            "Error acquiring the state lock: ConditionalCheckFailedException",
            "Error: Cycle: aws_security_group.api, aws_security_group.db",
            'Error: Invalid for_each argument: the "for_each" value depends on resource '
            "attributes that cannot be determined until apply",
            "Error: Provider produced inconsistent final plan",
        ),
        howtos=(
            ("release a stuck lock", "terraform force-unlock 6f1d2c3e"),
            (
                "move a resource without destroying it",
                "terraform state mv aws_s3_bucket.logs module.logs.aws_s3_bucket.this",
            ),
            ("plan one resource", "terraform plan -target=aws_instance.bastion"),
            ("see what is in state", "terraform state list | grep rds"),
            ("upgrade providers", "terraform init -upgrade"),
        ),
        settings=(
            ("required_version", '">= 1.6"', "everyone plans with the same behaviour"),
            ("backend.s3.dynamodb_table", '"tf-locks"', "only one apply at a time"),
            ("prevent_destroy", "true", "on the production database"),
        ),
        gotchas=(
            "renaming a resource destroys and recreates it unless you add a moved block",
            "count indexes shift when an item is removed from the middle of the list",
            "secrets passed as variables end up in plain text in the state file",
        ),
        code=(
            "terraform {\n"
            '  backend "s3" {\n'
            '    bucket         = "acme-tf-state"\n'
            '    key            = "prod/network.tfstate"\n'
            '    region         = "eu-west-1"\n'
            '    dynamodb_table = "tf-locks"\n'
            "  }\n"
            "}",
            "moved {\n  from = aws_s3_bucket.logs\n  to   = module.logs.aws_s3_bucket.this\n}",
        ),
        alts=("Pulumi", "CloudFormation"),
    ),
)
