"""`HandModel`: one MANO-format hand evaluated through `smplx.MANO`, plus a joints-only fast path.

Pose convention (docs/conventions.md): axis-angle, flat-hand-mean (zero pose = flat hand), 15 finger joints x 3
in MANO joint order, global orientation separate. Joints come out in the MANO-21 order: 16 skeleton joints and
the five fingertip vertices.
"""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import smplx
import torch
from smplx.lbs import batch_rigid_transform, batch_rodrigues
from smplx.utils import Struct

from hmp_engine.hand_model.model_file import tip_vertex_ids

NUM_BETAS = 10


@dataclass
class HandOutput:
    """A batch of posed hands: vertices (B, V, 3) and MANO-21 joints (B, 21, 3), in metres."""

    vertices: torch.Tensor
    joints: torch.Tensor


class HandModel(torch.nn.Module):
    """A right or left MANO-format hand model, differentiable, on any torch device."""

    joint_template: torch.Tensor  # buffers of the joints-only path (see _register_joint_path_buffers)
    joint_shapedirs: torch.Tensor
    tip_template: torch.Tensor
    tip_shapedirs: torch.Tensor
    tip_posedirs: torch.Tensor
    tip_weights: torch.Tensor

    def __init__(self, data: dict[str, Any], side: str, name: str, path: Path | None = None) -> None:
        super().__init__()
        if side not in ("right", "left"):
            raise ValueError(f"side must be 'right' or 'left', not {side!r}")
        self.side = side
        self.name = name
        self.path = path
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a notice about 10 shape coefficients
            self.mano = smplx.MANO(
                model_path=str(path or ""), is_rhand=side == "right", data_struct=Struct(**data),
                use_pca=False, flat_hand_mean=True, num_betas=NUM_BETAS,
                create_global_orient=False, create_hand_pose=False, create_betas=False, create_transl=False,
            )
        self.tip_vertex_ids = tip_vertex_ids(data)
        self.faces = np.asarray(self.mano.faces, dtype=np.int64)
        self._register_joint_path_buffers()

    def _register_joint_path_buffers(self) -> None:
        """Precompute what the joints-only path needs: rest joints and tips as functions of shape."""
        mano = self.mano
        tips = torch.as_tensor(self.tip_vertex_ids, dtype=torch.long)
        self.register_buffer("joint_template", mano.J_regressor @ mano.v_template)
        self.register_buffer("joint_shapedirs", torch.einsum("jv,vcs->jcs", mano.J_regressor, mano.shapedirs))
        self.register_buffer("tip_template", mano.v_template[tips])
        self.register_buffer("tip_shapedirs", mano.shapedirs[tips])
        posedirs = mano.posedirs.view(mano.posedirs.shape[0], -1, 3)
        self.register_buffer("tip_posedirs", posedirs[:, tips].reshape(posedirs.shape[0], -1))
        self.register_buffer("tip_weights", mano.lbs_weights[tips])

    @property
    def num_vertices(self) -> int:
        """Vertex count of the mesh (778 for MANO, more for the open model)."""
        return int(self.mano.v_template.shape[0])

    @staticmethod
    def _batch(global_orient: torch.Tensor, hand_pose: torch.Tensor, betas: torch.Tensor | None,
               transl: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Broadcast a per-sequence shape and an optional translation to the batch size."""
        batch = global_orient.shape[0]
        if betas is None:
            betas = global_orient.new_zeros(NUM_BETAS)
        betas = betas.expand(batch, NUM_BETAS) if betas.dim() == 1 else betas
        if transl is None:
            transl = global_orient.new_zeros(batch, 3)
        return torch.cat([global_orient, hand_pose], dim=1), betas, transl

    def forward(self, global_orient: torch.Tensor, hand_pose: torch.Tensor, betas: torch.Tensor | None = None,
                transl: torch.Tensor | None = None) -> HandOutput:
        """Skinned vertices and MANO-21 joints for (B, 3) orientation, (B, 45) pose, (10,) or (B, 10) shape."""
        _, betas, transl = self._batch(global_orient, hand_pose, betas, transl)
        output = self.mano(global_orient=global_orient, hand_pose=hand_pose, betas=betas, transl=transl)
        tips = output.vertices[:, list(self.tip_vertex_ids)]
        return HandOutput(vertices=output.vertices, joints=torch.cat([output.joints, tips], dim=1))

    def joints(self, global_orient: torch.Tensor, hand_pose: torch.Tensor, betas: torch.Tensor | None = None,
               transl: torch.Tensor | None = None) -> torch.Tensor:
        """MANO-21 joints by forward kinematics, skinning only the five tip vertices (for the optimiser)."""
        full_pose, betas, transl = self._batch(global_orient, hand_pose, betas, transl)
        batch = full_pose.shape[0]
        rotations = batch_rodrigues(full_pose.reshape(-1, 3)).view(batch, -1, 3, 3)
        rest_joints = self.joint_template + torch.einsum("jcs,bs->bjc", self.joint_shapedirs, betas)
        posed_joints, transforms = batch_rigid_transform(rotations, rest_joints, self.mano.parents,
                                                         dtype=full_pose.dtype)
        pose_feature = (rotations[:, 1:] - torch.eye(3, dtype=full_pose.dtype, device=full_pose.device))
        tips = (self.tip_template + torch.einsum("kcs,bs->bkc", self.tip_shapedirs, betas)
                + (pose_feature.reshape(batch, -1) @ self.tip_posedirs).view(batch, -1, 3))
        tip_transforms = torch.einsum("kj,bjmn->bkmn", self.tip_weights, transforms)
        tips = (tip_transforms[..., :3, :3] @ tips.unsqueeze(-1)).squeeze(-1) + tip_transforms[..., :3, 3]
        return torch.cat([posed_joints, tips], dim=1) + transl.unsqueeze(1)

    def rest_joints(self, betas: torch.Tensor | None = None) -> torch.Tensor:
        """The (21, 3) MANO-21 joints of the zero pose (flat hand) for a shape."""
        zeros = self.joint_template.new_zeros(1, 3)
        pose = self.joint_template.new_zeros(1, 45)
        return self.joints(zeros, pose, None if betas is None else betas.reshape(1, -1))[0]
